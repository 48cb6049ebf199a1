// The last hour of each target's operations, for the status page and API: per address and
// operation a ring of (time, outcome, duration) with a fixed capacity, so memory stays bounded
// whatever the schedule; a faster schedule keeps less than an hour, and `since` says so.
import type { CycleResult } from '../results/cycle.js';
import { OUTCOMES, type Operation, type Outcome } from '../results/operations.js';
import type { HistoryV1 } from './status-schema.js';

export const HISTORY_SECONDS = 3600;
/** Samples kept per address and operation: a full hour at one cycle every 5 s. */
const CAPACITY = 720;

class Ring {
  private readonly at = new Float64Array(CAPACITY);
  private readonly seconds = new Float64Array(CAPACITY);
  private readonly outcome = new Uint8Array(CAPACITY);
  private next = 0;
  private size = 0;

  push(atMs: number, outcome: Outcome, seconds: number | undefined): void {
    this.at[this.next] = atMs;
    this.outcome[this.next] = OUTCOMES.indexOf(outcome);
    this.seconds[this.next] = seconds ?? Number.NaN;
    this.next = (this.next + 1) % CAPACITY;
    this.size = Math.min(this.size + 1, CAPACITY);
  }

  summary(operation: Operation, fromMs: number): HistoryV1 {
    const n = { success: 0, failure: 0, skipped: 0 };
    const durations: number[] = [];
    let oldest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.size; i++) {
      if (this.at[i]! < fromMs) continue;
      const o = OUTCOMES[this.outcome[i]!]!;
      n[o]++;
      oldest = Math.min(oldest, this.at[i]!);
      if (o === 'success' && !Number.isNaN(this.seconds[i]!)) durations.push(this.seconds[i]!);
    }
    durations.sort((a, b) => a - b);
    const decided = n.success + n.failure;
    return {
      operation,
      ...n,
      successRatio: decided ? n.success / decided : null,
      p50Seconds: quantile(durations, 0.5),
      p99Seconds: quantile(durations, 0.99),
      since: Number.isFinite(oldest) ? new Date(oldest).toISOString() : null,
    };
  }
}

/** Nearest rank on sorted values; null when there are none. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

const key = (target: string, node: string | undefined) => (node === undefined ? target : `${target}\u0000${node}`);

export class StatusHistory {
  /** By address (target, or target and node), then operation, in the order first seen. */
  private readonly rings = new Map<string, Map<Operation, Ring>>();

  onCycle(c: CycleResult): void {
    if (c.aborted) return; // shutdown: not a verdict on the target, as in the metrics
    let ops = this.rings.get(key(c.target, c.node));
    if (!ops) {
      ops = new Map();
      this.rings.set(key(c.target, c.node), ops);
    }
    for (const o of c.operations) {
      let ring = ops.get(o.operation);
      if (!ring) {
        ring = new Ring();
        ops.set(o.operation, ring);
      }
      ring.push(o.startedAt, o.outcome, o.outcome === 'success' ? o.durationSeconds : undefined);
    }
  }

  /** The last hour of one address, per operation. */
  summary(target: string, node: string | undefined, nowMs = Date.now()): HistoryV1[] {
    const ops = this.rings.get(key(target, node));
    if (!ops) return [];
    return [...ops].map(([op, ring]) => ring.summary(op, nowMs - HISTORY_SECONDS * 1000));
  }

  /** A node forgotten by its target: its history goes too. */
  forgetNode(target: string, node: string): void {
    this.rings.delete(key(target, node));
  }

  /** After a reload: only the targets still configured keep their history. */
  retain(targets: readonly string[]): void {
    const keep = new Set(targets);
    for (const k of this.rings.keys()) if (!keep.has(k.split('\u0000')[0]!)) this.rings.delete(k);
  }
}
