// Soak (issue 5): targets every second through a proxy with random faults; after a warm-up, N
// measured cycles: RSS and heap trends, fds, event-loop delay; then clean cycles, and what is left.
import { setTimeout as sleep } from 'node:timers/promises';
import { ListBucketsCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { parseConfig } from '../../src/config/load.js';
import { createTargetClient } from '../../src/s3/client.js';
import { benchConfigYaml, type S3Endpoint } from '../lib.js';
import { exporter, seen, until } from './exporter.js';
import { eld, eldMs, fdCount, mb } from './figures.js';
import { fromHarness, send } from './ipc.js';

export interface SoakOptions { rgw: S3Endpoint; proxyUrl: string; targets: number; cycles: number; warmCycles: number; warmupSeconds: number; timeout: string; ebpf: boolean }

/** Least-squares line through (t, y): its slope, and the growth it implies over the span of t. */
function trend(points: [number, number][]): { slope: number; growth: number } {
  const n = points.length;
  if (n < 2) return { slope: 0, growth: 0 };
  const mt = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [t, y] of points) {
    num += (t - mt) * (y - my);
    den += (t - mt) ** 2;
  }
  const slope = den ? num / den : 0;
  return { slope, growth: slope * (points[n - 1]![0] - points[0]![0]) };
}

export async function soak(o: SoakOptions): Promise<Record<string, unknown>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const settle = async () => { gc?.(); await sleep(100); gc?.(); };
  const fds0 = fdCount();
  const { rt, tracerUp } = await exporter({ ...o.rgw, endpoint: o.proxyUrl }, {
    targets: o.targets, name: 'soak', schedule: '* * * * * *', ebpf: o.ebpf, timeout: o.timeout, spread: 0.9,
  });
  const t0 = Date.now();
  const samples: { t: number; cycles: number; rssMb: number; heapMb: number; fds: number }[] = [];
  let maxFds = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    const fds = fdCount();
    maxFds = Math.max(maxFds, fds);
    samples.push({ t: (Date.now() - t0) / 1000, cycles: seen.cycles, rssMb: mb(m.rss), heapMb: mb(m.heapUsed), fds });
    if (samples.length % 30 === 0) void send({ type: 'progress', cycles: seen.cycles, rssMb: mb(m.rss), fds });
  }, 1000);
  // Warm-up (by default until the latency summary's sliding window is full: its digests grow with
  // every observation until then, by design), and at least warmCycles. The N cycles are measured after it.
  const fullAt = t0 + o.warmupSeconds * 1000;
  await until(() => seen.cycles >= o.warmCycles && Date.now() >= fullAt, 3_600_000);
  await settle();
  const warm = { cycles: seen.cycles, rssMb: mb(process.memoryUsage().rss), heapMb: mb(process.memoryUsage().heapUsed), fds: fdCount(), atSeconds: (Date.now() - t0) / 1000 };
  const h = eld();
  const cycles0 = seen.cycles;
  const ops0 = seen.ops;
  const at0 = { failures: seen.failures, skipped: seen.skipped, reasons: { ...seen.reasons } };
  await until(() => seen.cycles >= cycles0 + o.cycles, 24 * 3_600_000);
  const loop = eldMs(h);
  const atN = { cycles: seen.cycles - cycles0, seconds: (Date.now() - t0) / 1000 - warm.atSeconds };
  // RSS at one instant moves by tens of MB with V8's heap sizing; the trend of the once-a-second
  // samples over the measured cycles does not. It starts a minute after the baseline: the baseline's
  // forced gc() drops RSS by ~50 MB, which V8 grows back within that minute (soak of 2026-11-21).
  const measured = samples.filter((x) => x.t >= warm.atSeconds + 60);
  const rssTrend = trend(measured.map((x) => [x.t, x.rssMb]));
  const heapTrend = trend(measured.map((x) => [x.t, x.heapMb]));
  const opsRun = seen.ops - ops0;
  const reasons = Object.fromEntries(Object.entries(seen.reasons).map(([k, v]) => [k, v - (at0.reasons[k] ?? 0)]));
  const failures = seen.failures - at0.failures;
  const skipped = seen.skipped - at0.skipped;
  // faults off: let every target run clean cycles, which retry what earlier cycles could not remove
  const faultsOff = fromHarness('faults-off-done');
  await send({ type: 'faults-off' });
  await faultsOff;
  const c1 = seen.cycles;
  await until(() => seen.cycles >= c1 + 2 * o.targets, 120_000);
  await settle();
  const end = { rssMb: mb(process.memoryUsage().rss), heapMb: mb(process.memoryUsage().heapUsed), fds: fdCount() };
  const leftoverGauge = [...seen.leftovers.values()].reduce((a, b) => a + b, 0);
  clearInterval(sampler);
  await rt.stop();
  await sleep(500); // destroyed sockets close on a later tick
  const fdsAfterStop = fdCount();
  // what is really left in the store, asked of RGW directly (not through the proxy)
  const cfg = parseConfig(benchConfigYaml({ ...o.rgw, targets: 1, name: 'soak', schedule: '*/10 * * * * *', ebpf: false }));
  const c = createTargetClient(cfg.targets[0]!);
  const buckets = ((await c.s3.send(new ListBucketsCommand({}))).Buckets ?? []).filter((b) => b.Name?.startsWith('soak-'));
  let objects = 0;
  let uploads = 0;
  for (const b of buckets) {
    objects += (await c.s3.send(new ListObjectsV2Command({ Bucket: b.Name! }))).KeyCount ?? 0;
    uploads += (await c.s3.send(new ListMultipartUploadsCommand({ Bucket: b.Name! }))).Uploads?.length ?? 0;
  }
  c.destroy();
  return {
    tracerUp, targets: o.targets, cyclesRequested: o.cycles, cycles: atN.cycles, secondsToN: atN.seconds,
    cyclesMeasured: atN.cycles, warmupCycles: cycles0, opsMeasured: opsRun, failures, reasons, cyclesSkipped: skipped, gcExposed: gc !== undefined,
    warm, end, rssGrowthMb: end.rssMb - warm.rssMb, heapGrowthMb: end.heapMb - warm.heapMb,
    rssTrendGrowthMb: rssTrend.growth, rssTrendSlopeMbPerHour: rssTrend.slope * 3600, heapTrendGrowthMb: heapTrend.growth,
    fds: { beforeStart: fds0, warm: warm.fds, end: end.fds, max: maxFds, afterStop: fdsAfterStop },
    eventLoopDelayMs: loop,
    leftovers: { exporterGauge: leftoverGauge, bucketsInStore: buckets.length, objectsInStore: objects, uploadsInStore: uploads },
    rssSamples: samples.filter((_, i) => i % 10 === 0).map((s) => [s.t, s.cycles, Number(s.rssMb.toFixed(1)), Number(s.heapMb.toFixed(1)), s.fds]),
  };
}
