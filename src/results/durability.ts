// What a cycle's durability check produces: the verdicts on the durable objects it verified, every
// request it made, and the tally of a verification pass over the whole set when one ended.
import type { OperationResult } from './cycle.js';
import { FAILURE_REASONS } from './operations.js';

/** What a verification found an object to be. These strings are label values. */
export const DURABLE_STATES = ['ok', 'missing', 'corrupt'] as const;
export type DurableState = (typeof DURABLE_STATES)[number];

/** Reasons of durability failures: `lost` (an object the set had is gone), and the reasons any
 *  operation fails with (`integrity` for an object whose bytes differ). A fixed set, like those. */
export const DURABILITY_REASONS = ['lost', ...FAILURE_REASONS] as const;
export type DurabilityReason = (typeof DURABILITY_REASONS)[number];

/** The failure an object found in each state is counted as. */
export const REASON_OF_STATE = { missing: 'lost', corrupt: 'integrity' } as const satisfies Record<Exclude<DurableState, 'ok'>, DurabilityReason>;

/** An object found missing or corrupt: counted, logged with its key, and rewritten. */
export interface DurableFinding {
  key: string;
  state: Exclude<DurableState, 'ok'>;
  /** What was wrong, e.g. "4096 bytes, first difference at byte 17". */
  detail: string;
  /** The rewrite succeeded (if not, its request's failure is among the operations). */
  rewritten: boolean;
}

/** A verification pass that covered every object of the set with a verdict. */
export interface DurablePass {
  /** Epoch milliseconds. */
  endedAt: number;
  objects: Record<DurableState, number>;
  /** Epoch milliseconds: when the oldest object found intact was written (its Last-Modified);
   *  absent when none was. */
  oldestWrittenAt?: number;
}

export interface DurabilityResult {
  target: string;
  /** Epoch milliseconds. */
  startedAt: number;
  durationSeconds: number;
  /** Every request, measured and classified like the canary's. A request that answered counts as
   *  a success even when what it found is wrong (a 404, other bytes): that is in `findings`. */
  operations: OperationResult[];
  /** Objects that got a verdict this cycle. */
  verified: number;
  findings: DurableFinding[];
  /** Objects written for the first time this cycle (a set is filled a slice per cycle). */
  filled: number;
  /** Objects of the set known to have been written (by this prober or another); undefined while
   *  it is not known yet (the set could not be listed). */
  stored?: number;
  /** Set when this cycle ended a pass over the whole set in which every object got a verdict. */
  pass?: DurablePass;
}

/** Each failure the result holds, one reason per finding and per failed request. */
export function durabilityFailures(r: DurabilityResult): DurabilityReason[] {
  return [
    ...r.findings.map((f) => REASON_OF_STATE[f.state]),
    ...r.operations.flatMap((o) => (o.outcome === 'failure' ? [o.reason ?? 'other'] : [])),
  ];
}
