// The targets of issues 6 (the bench) and 5 (the soak), each met or not by a run's figures.
import type { R } from './harness.js';
import { fmt } from './lib.js';

export interface Verdict { target: string; value: string; met: boolean | null }

export function verdicts(res: R): Verdict[] {
  const v: Verdict[] = [];
  const add = (target: string, value: number | undefined, ok: (x: number) => boolean, unit: string) =>
    v.push({ target, value: value === undefined ? 'n/a' : `${fmt(value, 3)} ${unit}`.trim(), met: value === undefined ? null : ok(value) });
  if (res.cost) {
    add('RSS < 100 MB with 10 targets (peak, tracer on and off)', Math.max(res.cost.off.peakRssMb, res.cost.on?.peakRssMb ?? 0), (x) => x < 100, 'MB');
    add('tracer adds <= 5% CPU (on/off per op)', res.cost.cpuRatioOnOff, (x) => x <= 1.05, 'x');
  }
  if (res.truth) {
    // Against ground truth: the kernel's server phase minus the server time the proxy measured for
    // the same request (so the proxy's late timer and RGW's own time are not charged to the tracer).
    // Every D including 0; met on the worst |p50|, p99 shown; too few joined samples, or joins that
    // contradict the proxy's order of requests on a connection, are not met.
    const every = (res.truth.perDelay as R[]).flatMap((d) => Object.values(d.ops as R));
    const p50s = every.map((x) => x.wireServerMinusProxyMs?.p50).filter((x): x is number => x !== undefined);
    const p99s = every.map((x) => x.wireServerMinusProxyMs?.p99).filter((x): x is number => x !== undefined);
    const joined = every.reduce((a, x) => a + (x.truthJoined ?? 0), 0);
    const samples = every.reduce((a, x) => a + x.samples, 0);
    const doubtful = (res.truth.perDelay as R[]).reduce((a, d) => a + (d.ambiguous ?? 0) + (d.outOfOrder ?? 0), 0);
    const target = 'wire server phase within 1 ms of proxy-measured server time (|p50|, worst D/op)';
    if (!p50s.length) v.push({ target, value: 'n/a', met: null });
    else {
      const p50 = Math.max(...p50s.map(Math.abs));
      const p99 = Math.max(...p99s.map(Math.abs));
      const enough = joined >= 0.9 * samples;
      v.push({
        target, value: `${fmt(p50, 3)} ms (worst |p99| ${fmt(p99, 3)} ms; ${joined}/${samples} joined${doubtful ? `, ${doubtful} ambiguous/out of order` : ''})`,
        met: p50 <= 1 && enough && doubtful === 0,
      });
    }
    const warm = (res.truth.perDelay as R[]).flatMap((d) => Object.values(d.ops as R));
    const w2 = (k: (x: R) => number | undefined) => {
      const xs = warm.map(k).filter((x): x is number => x !== undefined);
      return xs.length ? Math.max(...xs) : undefined;
    };
    add('client overhead over wire p50 < 1 ms (warm Get/Put, worst D/op)', w2((x) => x.clientOverWireMs.p50), (x) => x < 1, 'ms');
    add('client overhead over wire p99 < 5 ms (warm Get/Put, worst D/op)', w2((x) => x.clientOverWireMs.p99), (x) => x < 5, 'ms');
  }
  if (res.scale) {
    const rows = res.scale.rows as R[];
    const top = rows[rows.length - 1]!;
    add(`schedule drift p99 < 100 ms at ${top.targets} targets`, top.driftMs.p99, (x) => x < 100, 'ms');
    add('cost grows linearly (CPU per cycle, largest vs 10 targets, <= 1.25x)', res.scale.linear?.cpuMsPerCycleRatio, (x) => x <= 1.25, 'x');
  }
  if (res.scaleSharded) {
    const s = res.scaleSharded;
    const drift = s.all.driftMs.p99 as number | undefined;
    // a shard on a core it shares (with RGW on a 2-core machine) is said in the value, never hidden
    const shared = (s.shared as R[]).map((x) => `shard ${x.shard} shares core ${x.core} with ${(x.with as string[]).join(', ')}`);
    const notes = [...(s.pinned ? [] : ['shards not pinned']), ...shared, ...(s.all.disjointAndComplete ? [] : ['targets not probed exactly once'])];
    v.push({
      target: `drift p99 < 100 ms at ${s.all.targets} targets over ${s.shards} shards`,
      value: drift === undefined ? 'n/a' : `${fmt(drift, 3)} ms${notes.length ? ` (${notes.join('; ')}: pessimistic)` : ''}`,
      met: drift === undefined ? null : drift < 100 && s.all.disjointAndComplete === true,
    });
  }
  if (res.scrape) add(`/metrics p99 < 100 ms at ${res.scrape.targets} targets, 10 s cycles (Prometheus scrape, after the first)`, res.scrape.latencyMs.p99, (x) => x < 100, 'ms');
  if (res.scrape?.minute) add(`/metrics p99 < 100 ms at ${res.scrape.targets} targets, 60 s cycles (Prometheus scrape, after the first)`, res.scrape.minute.latencyMs.p99, (x) => x < 100, 'ms');
  if (res.throughput) add('tracer: highest op rate with zero drops (SDK; no target)', res.throughput.maxZeroDropOpsPerSecond.sdk, () => true, 'ops/s');
  if (res.peer) {
    const row = (targets: number, on: boolean) => (res.peer.rows as R[]).find((r) => r.targets === targets && r.ebpf === on);
    for (const targets of [1, 10]) {
      const on = row(targets, true);
      const off = row(targets, false);
      if (!on && !off) continue;
      add(`peer, ${targets} target(s): CPU per request with the tracer on <= the peer's`, on?.cpuRatio, (x) => x <= 1, 'x');
      // on over off in the same windows (groups where both ran)
      const cost = (res.peer.tracer as R[] | undefined)?.find((t) => t.targets === targets);
      add(`peer, ${targets} target(s): the tracer adds <= 5% CPU per request (same time)`, cost?.cpuRatio, (x) => x <= 1.05, 'x');
      add(`peer, ${targets} target(s): the tracer adds <= 10 MB peak RSS`, on && off ? on.proberPeakRssMb - off.proberPeakRssMb : undefined, (x) => x <= 10, 'MB');
    }
    const one = row(1, true);
    add(`peer, 1 target: peak RSS with the tracer on < 100 MB (node ${res.peer.nodeVersion})`, one?.proberPeakRssMb, (x) => x < 100, 'MB');
  }
  if (res.soak) {
    const s = res.soak;
    add('soak: RSS growth after warm-up < 10 MB (trend over the measured cycles)', s.rssTrendGrowthMb, (x) => x < 10, 'MB');
    add('soak: open fds flat (end - warm-up <= 2)', s.fds.end - s.fds.warm, (x) => x <= 2, 'fds');
    add('soak: event-loop delay p99 < 20 ms', s.eventLoopDelayMs.p99, (x) => x < 20, 'ms');
    const l = s.leftovers;
    add('soak: zero leftovers at the end', l.exporterGauge + l.bucketsInStore + l.objectsInStore + l.uploadsInStore, (x) => x === 0, '');
  }
  return v;
}
