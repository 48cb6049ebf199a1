// What the eBPF wire tracer produces: for each client request it could join to the kernel's
// exchanges, the wire's timing of it; and what it could not join. Recorders and views consume these.
import type { RequestTrace } from './request-trace.js';

export const WIRE_PHASES = ['connect', 'tls', 'request', 'server', 'transfer'] as const;
export type WirePhase = (typeof WIRE_PHASES)[number];

/** The S3 operation read from a request line. */
export interface WireOperation {
  method: string;
  path: string;
  /** Path-style reading first, then the virtual-hosted one (bucket in the Host header). */
  candidates: string[];
}

export interface WireTiming {
  /** First request byte sent -> last response byte received; undefined without a response. */
  wireSeconds?: number;
  /** Client duration minus everything the wire accounts for (connect, TLS, wire). */
  overheadSeconds?: number;
  clientSeconds?: number;
  /** Only the phases really measured. */
  phases: Partial<Record<WirePhase, number>>;
  /** The same phases as the kernel's own timestamps (CLOCK_MONOTONIC ns). */
  phaseTimes: Partial<Record<WirePhase, { startNs: bigint; endNs: bigint }>>;
  newConnection: boolean;
  tls: boolean;
  bytesSent: number;
  bytesReceived: number;
  retransmits: number;
  /** SYN -> SYN-ACK of a handshake without retransmits. */
  handshakeRttSeconds?: number;
  /** The socket's windowed minimum RTT (srtt is inflated by delayed ACKs). */
  minRttSeconds?: number;
  wireOperation?: WireOperation;
  statusLine?: string;
}

/** One measured request joined to the wire. */
export interface WireResult {
  trace: RequestTrace;
  wire: WireTiming;
}

/** client: a request whose socket the kernel did not report; wire: kernel exchanges no request claimed. */
export type UnmatchedSide = 'client' | 'wire';

/** Running totals of the kernel side, read when asked. */
export interface KernelCounters {
  events: number;
  dropped: number;
  /** Runs of the kernel hooks the kernel skipped (the same hook already running on that CPU). */
  hookRunsMissed: number;
}

/** Where the tracer delivers what it produced. */
/** A request's wire result reaches the sink at most this long after the request ended: the tracer
 *  joins requests in batches (one drain of the kernel's ring for all, and code that stays warm). */
export const WIRE_RESULT_DELAY_MS = 100;

export interface WireSink {
  onWire(r: WireResult): void;
  onUnmatched(side: UnmatchedSide, count: number): void;
}

/** True when the wire's reading contradicts the client's operation name. */
export function isMismatch(clientOperation: string, wire: WireOperation | undefined): boolean {
  return wire !== undefined && !wire.candidates.includes(clientOperation);
}
