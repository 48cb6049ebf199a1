// The exporter a worker measures: the whole ProberRuntime, in-process, as in production. The only
// bench hooks are wrappers around MetricsRecorder's observer methods, so every cycle start delay,
// operation and cycle is counted raw (a histogram's buckets would be too coarse for a p99).
import { setTimeout as sleep } from 'node:timers/promises';
import { ProberRuntime } from '../../src/cli/runtime.js';
import { parseConfig } from '../../src/config/load.js';
import type { Shard } from '../../src/config/shard.js';
import { WIRE_METRICS } from '../../src/metrics/names.js';
import { MetricsRecorder } from '../../src/metrics/recorder.js';
import type { CycleResult, OperationResult, SkipReason } from '../../src/results/cycle.js';
import { benchConfigYaml, type S3Endpoint } from '../lib.js';
import { logger } from './log.js';

/** What the recorder hooks counted since the last resetSeen() (leftovers: the last per target). */
export const seen = {
  ops: 0, failures: 0, cycles: 0, skipped: 0,
  drift: [] as number[], cycleSeconds: [] as number[],
  reasons: {} as Record<string, number>, leftovers: new Map<string, number>(),
};
export function resetSeen(): void {
  seen.ops = 0; seen.failures = 0; seen.cycles = 0; seen.skipped = 0;
  seen.drift = []; seen.cycleSeconds = []; seen.reasons = {};
}
const proto = MetricsRecorder.prototype;
const { onOperation, onCycle, onCycleSkipped, onCycleStart } = proto;
proto.onOperation = function (this: MetricsRecorder, r: OperationResult) {
  if (r.outcome !== 'skipped') seen.ops++;
  if (r.outcome === 'failure') {
    seen.failures++;
    seen.reasons[r.reason ?? 'other'] = (seen.reasons[r.reason ?? 'other'] ?? 0) + 1;
  }
  onOperation.call(this, r);
};
proto.onCycle = function (this: MetricsRecorder, c: CycleResult) {
  seen.cycles++;
  seen.cycleSeconds.push(c.durationSeconds);
  seen.leftovers.set(c.target, c.leftovers);
  onCycle.call(this, c);
};
proto.onCycleSkipped = function (this: MetricsRecorder, t: string, why: SkipReason) {
  seen.skipped++;
  onCycleSkipped.call(this, t, why);
};
proto.onCycleStart = function (this: MetricsRecorder, t: string, d: number) {
  seen.drift.push(d);
  onCycleStart.call(this, t, d);
};

/** The whole exporter on a bench config; with `shard`, as `s3prober run --shard INDEX/COUNT` runs it. */
export async function exporter(endpoint: S3Endpoint, o: { targets: number; name: string; schedule: string; ebpf: boolean; timeout?: string; spread?: number; shard?: Shard }) {
  const config = parseConfig(benchConfigYaml({ ...endpoint, ...o }));
  const rt = await ProberRuntime.start({ config, shard: o.shard, logger: logger(o.shard ? `${o.name}-shard${o.shard.index}of${o.shard.count}` : o.name) });
  const up = (await rt.processMetrics.registry.getSingleMetric(WIRE_METRICS.ebpfUp)?.get())?.values[0]?.value === 1;
  return { rt, tracerUp: up };
}

export async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}
