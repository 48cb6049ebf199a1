// Section 1, cost per operation: a warmed-up exporter's CPU per 1,000 S3 operations and its peak RSS.
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Endpoint } from '../lib.js';
import { watchPeakRss } from '../rss-breakdown.js';
import { exporter, resetSeen, seen, until } from './exporter.js';
import { cpuSeconds, eld, eldMs, mb, memory, peakRssMb } from './figures.js';

export interface CostOptions { rgw: S3Endpoint; targets: number; warmSeconds: number; seconds: number; ebpf: boolean }

export async function cost(o: CostOptions): Promise<Record<string, unknown>> {
  const { rt, tracerUp } = await exporter(o.rgw, { targets: o.targets, name: `cost${o.ebpf ? 'on' : 'off'}`, schedule: '* * * * * *', ebpf: o.ebpf });
  await until(() => seen.cycles >= o.targets, o.warmSeconds * 1000 + 30_000); // sweep + first round done
  await sleep(o.warmSeconds * 1000);
  resetSeen();
  const h = eld();
  const rss = watchPeakRss();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await sleep(o.seconds * 1000);
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  const peakRssBreakdown = rss.stop();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const r = {
    tracerRequested: o.ebpf, tracerUp, targets: o.targets, seconds: wall, ops: seen.ops, failures: seen.failures,
    cpuSeconds: cpu, cpuSecondsPer1000Ops: (cpu / seen.ops) * 1000, opsPerSecond: seen.ops / wall,
    rssMb: mb(process.memoryUsage().rss), peakRssMb: peakRssMb(), peakRssBreakdown, eventLoopDelayMs: eldMs(h), memory: memory(),
  };
  await rt.stop();
  return r;
}
