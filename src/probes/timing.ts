// When an operation's latency starts. The SDK serializes and signs a request before it issues it
// (more so when the event loop is busy: BENCHMARKS.md, truth); that is the prober's work, not the
// storage's, so the latency starts when the first request is issued and the time before is
// reported apart as the `prepare` phase.
import { secondsBetween } from '../results/clock.js';
import type { RequestTrace } from '../results/request-trace.js';

export interface OperationTiming {
  /** First request issued -> result in hand (body read); the whole call if no request was issued. */
  durationSeconds: number;
  /** SDK call -> first request issued, when there was one. */
  prepareSeconds?: number;
}

/** t0, t1: CLOCK_MONOTONIC ns around the SDK call; traces: the requests it made, in order. */
export function operationTiming(t0: bigint, t1: bigint, traces: readonly RequestTrace[]): OperationTiming {
  const first = traces[0]?.startNs;
  if (first === undefined || first < t0 || first > t1) return { durationSeconds: secondsBetween(t0, t1) };
  return { durationSeconds: secondsBetween(first, t1), prepareSeconds: secondsBetween(t0, first) };
}
