// What the replication check produces (src/probes/replication.ts): for each object it wrote at the
// source, whether and when it arrived at the destination, and the same for its delete; and, as it
// goes, how many objects it has in flight. Plain data, for the recorder and the status page.
import type { OperationResult } from './cycle.js';
import type { FailureReason } from './operations.js';

/** What travels: an object written at the source, or its delete. These strings are label values. */
export const REPLICATION_KINDS = ['object', 'delete'] as const;
export type ReplicationKind = (typeof REPLICATION_KINDS)[number];

/** Which replication, between which targets. */
export interface ReplicationPair {
  replication: string;
  source: string;
  destination: string;
}

/** How one object's write (kind `object`) or delete (kind `delete`) travelled. */
export interface ReplicationOutcome extends ReplicationPair {
  kind: ReplicationKind;
  key: string;
  /** Epoch milliseconds: when the source acknowledged the write or the delete (or, when that
   *  request failed, when it was made). */
  since: number;
  /** Replicated: seconds from `since` to the answer of the destination's poll that first showed the
   *  object (with every byte right) or its absence. An upper bound: it arrived after the poll before. */
  lagSeconds?: number;
  /** Not replicated: `timeout` (not at the destination within the timeout; when the destination's
   *  last poll failed, that poll's reason instead), `integrity` (it arrived with other bytes), or
   *  the reason the source's write or delete failed. */
  reason?: FailureReason;
  /** What went wrong, for logs and the status page. */
  detail?: string;
  /** Polls of the destination it took. */
  polls: number;
  /** Every request of this object's write (or delete) and its polls, at either side. */
  operations: OperationResult[];
}

/** Objects in flight after a change: written and not yet arrived (`object`), deleted at the source
 *  and not yet gone at the destination (`delete`). */
export interface ReplicationInFlight extends ReplicationPair {
  inFlight: Record<ReplicationKind, number>;
  /** Set when a round wrote no object because maxInFlight objects were in flight. */
  skippedWrite?: boolean;
}
