// Latest client-vs-wire figures per target and operation, for the status page.
import type { WirePhase, WireTiming } from './correlate.js';

export interface OperationWireStatus {
  /** Requests joined to the wire so far. */
  count: number;
  /** Last joined request: what the client measured. */
  clientSeconds: number;
  /** Last joined request: first request byte -> last response byte in the kernel. */
  wireSeconds: number;
  overheadSeconds: number;
  phases: Partial<Record<WirePhase, number>>;
  newConnection: boolean;
  tls: boolean;
  /** The operation read from the request line, if it could be read. */
  wireOperation?: string;
  at: string;
}

export type WireSnapshot = Record<string, Record<string, OperationWireStatus>>;

export class SnapshotBook {
  private readonly data: WireSnapshot = {};

  record(target: string, operation: string, w: WireTiming): void {
    if (w.wireSeconds === undefined || w.clientSeconds === undefined) return;
    const perTarget = (this.data[target] ??= {});
    const prev = perTarget[operation];
    const s: OperationWireStatus = {
      count: (prev?.count ?? 0) + 1,
      clientSeconds: w.clientSeconds,
      wireSeconds: w.wireSeconds,
      overheadSeconds: w.overheadSeconds ?? 0,
      phases: { ...w.phases },
      newConnection: w.newConnection,
      tls: w.tls,
      at: new Date().toISOString(),
    };
    if (w.wireOperation) s.wireOperation = w.wireOperation.candidates[0]!;
    perTarget[operation] = s;
  }

  /** A copy: callers may keep or change it. */
  get(): WireSnapshot {
    return structuredClone(this.data);
  }
}
