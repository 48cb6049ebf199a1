// The soak (issue 5): the soak worker through a fault proxy with random faults, turned off when the
// worker has run its measured cycles.
import { SUMMARY_WINDOW_SECONDS } from '../../src/metrics/families.js';
import type { Harness, R } from '../harness.js';
import { fmt, type S3Endpoint } from '../lib.js';
import type { Fault } from '../../test/support/fault-proxy.js';

/** cycles, targets, warmup: the CLI's --cycles, --targets, --warmup (seconds), as given. */
export async function sectionSoak(h: Harness, rgw: S3Endpoint, args: { cycles?: string; targets?: string; warmup?: string }): Promise<R> {
  const cycles = Number(args.cycles ?? (h.quick ? 60 : 10_000));
  const targets = Number(args.targets ?? (h.quick ? 5 : 20));
  const proxy = await h.server('proxy', [rgw.endpoint]);
  // a random fault in about 1 of 50 requests, every kind the fault matrix knows
  const p = 0.0025;
  const faults: Fault[] = [
    { kind: 'delay', ms: 300, probability: p },
    { kind: 'status', status: 503, code: 'SlowDown', probability: p },
    { kind: 'status', status: 500, probability: p },
    { kind: 'reset-request', probability: p },
    { kind: 'reset-response', probability: p, match: { method: 'GET' } },
    { kind: 'truncate', probability: p, match: { method: 'GET' } },
    { kind: 'corrupt', probability: p, match: { operation: 'GetObject' } },
    { kind: 'stall', probability: p / 2 },
  ];
  proxy.child.send({ type: 'faults', faults });
  await proxy.child.next('faults-set');
  h.log(`soak: warm-up ${args.warmup ?? SUMMARY_WINDOW_SECONDS + 10} s, then ${cycles} cycles measured, ${targets} targets every second through the fault proxy (faults in ~2% of requests)`);
  const w = h.worker('soak', { rgw, proxyUrl: proxy.url, targets, cycles, warmCycles: targets * 3, warmupSeconds: Number(args.warmup ?? SUMMARY_WINDOW_SECONDS + 10), timeout: '2s', ebpf: h.ebpf }, ['--expose-gc']);
  try {
    void (async () => {
      for (;;) {
        const m = await w.next<R>('progress', 24 * 3_600_000).catch(() => undefined);
        if (!m) return;
        h.log(`soak: ${m.cycles} cycles, rss ${fmt(m.rssMb, 1)} MB, ${m.fds} fds`);
      }
    })();
    await w.next('faults-off', 24 * 3_600_000);
    proxy.child.send({ type: 'faults', faults: null });
    await proxy.child.next('faults-set');
    w.send({ type: 'faults-off-done' });
    const { type: _t, ...r } = await w.next<R>('result', 600_000);
    proxy.child.send({ type: 'stats' });
    const stats = await proxy.child.next<R>('stats');
    return { ...r, proxy: { requests: stats.requests, faulted: stats.faulted }, faults: faults.map((x) => x.kind) };
  } finally {
    await w.stop(10_000);
    await proxy.child.stop();
  }
}
