// Latest client-vs-wire figures per target and operation, for the status page: a consumer of the
// wire tracer's results.
import type { WirePhase, WireResult, WireTiming } from '../results/wire.js';

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

/** The view's key of a target, or of one node of it. */
export function wireViewKey(target: string, node: string | undefined): string {
  return node === undefined ? target : `${target} ${node}`;
}

/** By wireViewKey, then by operation. */
export type WireByTarget = Record<string, Record<string, OperationWireStatus>>;

interface Entry {
  count: number;
  wire: WireTiming;
  atMs: number;
}

export class WireView {
  private readonly data = new Map<string, Map<string, Entry>>();

  /** Per request: keeps a reference only, the status page builds its view when asked. */
  record({ trace, wire: w }: WireResult): void {
    const target = wireViewKey(trace.target, trace.node);
    const { operation } = trace;
    if (trace.error !== undefined) return;
    if (w.wireSeconds === undefined || w.clientSeconds === undefined) return;
    let perTarget = this.data.get(target);
    if (!perTarget) {
      perTarget = new Map();
      this.data.set(target, perTarget);
    }
    const prev = perTarget.get(operation);
    perTarget.set(operation, { count: (prev?.count ?? 0) + 1, wire: w, atMs: Date.now() });
  }

  byTarget(): WireByTarget {
    const out: WireByTarget = {};
    for (const [target, ops] of this.data) {
      const o: Record<string, OperationWireStatus> = {};
      out[target] = o;
      for (const [operation, { count, wire: w, atMs }] of ops) {
        const s: OperationWireStatus = {
          count,
          clientSeconds: w.clientSeconds!,
          wireSeconds: w.wireSeconds!,
          overheadSeconds: w.overheadSeconds ?? 0,
          phases: { ...w.phases },
          newConnection: w.newConnection,
          tls: w.tls,
          at: new Date(atMs).toISOString(),
        };
        if (w.wireOperation) s.wireOperation = w.wireOperation.candidates[0]!;
        o[operation] = s;
      }
    }
    return out;
  }
}
