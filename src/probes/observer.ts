// What a cycle tells as it goes: each operation's result, each request's trace, each certificate,
// the durability check's result, and the replication check's outcomes.
import type { OperationResult } from '../results/cycle.js';
import type { DurabilityResult } from '../results/durability.js';
import type { ReplicationInFlight, ReplicationOutcome } from '../results/replication.js';
import type { RequestTrace } from '../results/request-trace.js';
import type { SpanIds } from '../results/trace-context.js';

export interface CycleObserver {
  /** Asked as a cycle starts, when traces are exported: the ids of its root span (undefined:
   *  the cycle is not traced). */
  traceCycle?(target: string, node?: string): SpanIds | undefined;
  onOperation?(r: OperationResult): void;
  onTrace?(t: RequestTrace): void;
  onCertificate?(target: string, notAfter: Date, node?: string): void;
  /** Per-node targets, each cycle: addresses found and probed. */
  onNodes?(target: string, count: { found: number; probed: number }): void;
  /** Per-node targets: discovery failed this cycle (the nodes last seen are probed). */
  onDiscoveryFailure?(target: string, error: string): void;
  /** Per-node targets: a node not discovered for longer than nodeGrace, forgotten. */
  onNodeGone?(target: string, node: string): void;
  onDurability?(r: DurabilityResult): void;
  /** The replication check: an object's write or delete arrived at the destination, or failed to. */
  onReplication?(o: ReplicationOutcome): void;
  /** The replication check: objects in flight changed, or a round wrote none (maxInFlight). */
  onReplicationInFlight?(s: ReplicationInFlight): void;
}
