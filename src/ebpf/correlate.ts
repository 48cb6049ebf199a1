// Joins a client request to the kernel's view of it and splits its duration into wire phases.
import type { RequestTrace } from '../s3/request-trace.js';
import type { KernelExchange } from './decoder.js';
import { detectOperation, type WireOperation } from './operation.js';

export const WIRE_PHASES = ['connect', 'tls', 'request', 'server', 'transfer'] as const;
export type WirePhase = (typeof WIRE_PHASES)[number];

export interface WireTiming {
  /** First request byte sent -> last response byte received; undefined without a response. */
  wireSeconds?: number;
  /** Client duration minus everything the wire accounts for (connect, TLS, wire). */
  overheadSeconds?: number;
  clientSeconds?: number;
  /** Only the phases really measured. */
  phases: Partial<Record<WirePhase, number>>;
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

const sec = (a: bigint, b: bigint): number => Number(b - a) / 1e9;

/** exchanges: the request's exchanges on its socket, oldest first (see ExchangeStore.take). */
export function computeWire(trace: RequestTrace, exchanges: KernelExchange[]): WireTiming {
  const first = exchanges[0]!;
  const last = exchanges[exchanges.length - 1]!;
  const phases: Partial<Record<WirePhase, number>> = {};
  // the client knows whether it took the socket from its pool; seq 0: the socket's first request
  const newConnection = !trace.reused && first.seq === 0 && first.synNs !== 0n;
  let connectAndTls = 0;
  if (newConnection && first.establishedNs > first.synNs) {
    phases.connect = sec(first.synNs, first.establishedNs);
    connectAndTls += phases.connect;
  }
  if (newConnection && first.tls && first.tlsStartNs !== 0n && first.tlsEndNs > first.tlsStartNs) {
    phases.tls = sec(first.tlsStartNs, first.tlsEndNs);
    connectAndTls += phases.tls;
  }
  if (last.reqLastNs >= first.reqFirstNs) phases.request = sec(first.reqFirstNs, last.reqLastNs);
  let wireSeconds: number | undefined;
  if (last.respFirstNs !== 0n && last.respLastNs >= last.respFirstNs) {
    if (last.respFirstNs >= last.reqLastNs) phases.server = sec(last.reqLastNs, last.respFirstNs);
    phases.transfer = sec(last.respFirstNs, last.respLastNs);
    wireSeconds = sec(first.reqFirstNs, last.respLastNs);
  }
  const clientSeconds = trace.endNs !== undefined ? sec(trace.startNs, trace.endNs) : undefined;
  const overheadSeconds = clientSeconds !== undefined && wireSeconds !== undefined
    ? Math.max(0, clientSeconds - wireSeconds - connectAndTls)
    : undefined;
  let bytesSent = 0;
  let bytesReceived = 0;
  let retransmits = 0;
  for (const e of exchanges) {
    bytesSent += e.bytesSent;
    bytesReceived += e.bytesReceived;
    retransmits += e.retransmits;
  }
  const t: WireTiming = { phases, newConnection, tls: first.tls, bytesSent, bytesReceived, retransmits };
  if (wireSeconds !== undefined) t.wireSeconds = wireSeconds;
  if (clientSeconds !== undefined) t.clientSeconds = clientSeconds;
  if (overheadSeconds !== undefined) t.overheadSeconds = overheadSeconds;
  if (newConnection && first.retransmits === 0 && first.establishedNs > first.synNs) t.handshakeRttSeconds = sec(first.synNs, first.establishedNs);
  if (last.minRttUs > 0) t.minRttSeconds = last.minRttUs / 1e6;
  const op = detectOperation(first.request);
  if (op) t.wireOperation = op;
  const status = last.response.split('\r\n')[0];
  if (status) t.statusLine = status;
  return t;
}
