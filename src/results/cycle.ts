// What a probe cycle produces: one result per operation and one per cycle.
import type { FailureReason, Operation, Outcome } from './operations.js';
import type { RequestTrace } from './request-trace.js';
import type { SpanIds } from './trace-context.js';

export interface OperationResult {
  target: string;
  /** The node behind the endpoint (address:port) when the target probes its nodes one by one. */
  node?: string;
  operation: Operation;
  outcome: Outcome;
  /** Size class of the object involved ("4KiB"), empty when the operation has none. */
  size: string;
  /** Success: first request issued -> result in hand, body included (timing.ts). Failure: the whole
   *  call. Set for both. */
  durationSeconds?: number;
  /** The client's time before its first request was issued (SDK serialization, signing), when one
   *  was. Success: before durationSeconds; failure: part of it. */
  prepareSeconds?: number;
  /** Payload bytes moved by this operation. */
  bytes: number;
  reason?: FailureReason;
  errorCode?: string;
  httpStatus?: number;
  requestId?: string;
  message?: string;
  /** Why it was skipped: the step it depended on. */
  skippedBecause?: string;
  traces: RequestTrace[];
  /** Epoch milliseconds. */
  startedAt: number;
  /** CLOCK_MONOTONIC ns when the operation's call began (prepare included); unset when skipped. */
  startNs?: bigint;
  /** The operation's span, when the cycle is traced. */
  span?: SpanIds;
}

export interface CycleResult {
  target: string;
  /** The node behind the endpoint (address:port) when the target probes its nodes one by one. */
  node?: string;
  cycleId: string;
  /** The bucket the cycle used and the prefix of every key it wrote (absent when it never ran). */
  bucket?: string;
  keyPrefix?: string;
  startedAt: number;
  /** CLOCK_MONOTONIC ns when the cycle began (durationSeconds counts from it). */
  startNs?: bigint;
  durationSeconds: number;
  /** Every operation succeeded (no failure and therefore nothing skipped). */
  success: boolean;
  operations: OperationResult[];
  /** Objects and buckets that could not be removed (after this cycle's retries). */
  leftovers: number;
  aborted: boolean;
  /** A bug in s3prober ended the cycle early (its message); the cycle is a failure. */
  internalError?: string;
  /** The cycle's root span, when the cycle is traced. */
  span?: SpanIds;
}

/** Why a target's schedule slot ran no cycle. overrun: its previous cycle still ran; missed: the
 *  prober itself reached the slot more than an interval late (blocked event loop, starved CPU). */
export const SKIP_REASONS = ['overrun', 'missed'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];
