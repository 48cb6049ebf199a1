// What a cycle tells as it goes: each operation's result, each request's trace, each certificate,
// and the durability check's result.
import type { OperationResult } from '../results/cycle.js';
import type { DurabilityResult } from '../results/durability.js';
import type { RequestTrace } from '../results/request-trace.js';

export interface CycleObserver {
  onOperation?(r: OperationResult): void;
  onTrace?(t: RequestTrace): void;
  onCertificate?(target: string, notAfter: Date): void;
  onDurability?(r: DurabilityResult): void;
}
