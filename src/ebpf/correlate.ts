// Joins a client request to the kernel's view of it and splits its duration into wire phases.
import { secondsBetween } from '../results/clock.js';
import type { RequestTrace } from '../results/request-trace.js';
import type { WirePhase, WireTiming } from '../results/wire.js';
import type { KernelExchange } from './decoder.js';
import { detectOperation } from './request-line.js';

/** exchanges: the request's exchanges on its socket, oldest first (see ExchangeStore.take). */
export function computeWire(trace: RequestTrace, exchanges: KernelExchange[]): WireTiming {
  const first = exchanges[0]!;
  const last = exchanges[exchanges.length - 1]!;
  const phases: Partial<Record<WirePhase, number>> = {};
  const phaseTimes: WireTiming['phaseTimes'] = {};
  const phase = (p: WirePhase, startNs: bigint, endNs: bigint): number => {
    const seconds = secondsBetween(startNs, endNs);
    phaseTimes[p] = { startNs, endNs };
    phases[p] = seconds;
    return seconds;
  };
  // the client knows whether it took the socket from its pool; seq 0: the socket's first request
  const newConnection = !trace.reused && first.seq === 0 && first.synNs !== 0n;
  let connectAndTls = 0;
  if (newConnection && first.establishedNs > first.synNs) {
    connectAndTls += phase('connect', first.synNs, first.establishedNs);
  }
  if (newConnection && first.tls && first.tlsStartNs !== 0n && first.tlsEndNs > first.tlsStartNs) {
    connectAndTls += phase('tls', first.tlsStartNs, first.tlsEndNs);
  }
  if (last.reqLastNs >= first.reqFirstNs) phase('request', first.reqFirstNs, last.reqLastNs);
  let wireSeconds: number | undefined;
  if (last.respFirstNs !== 0n && last.respLastNs >= last.respFirstNs) {
    if (last.respFirstNs >= last.reqLastNs) phase('server', last.reqLastNs, last.respFirstNs);
    phase('transfer', last.respFirstNs, last.respLastNs);
    wireSeconds = secondsBetween(first.reqFirstNs, last.respLastNs);
  }
  const clientSeconds = trace.endNs !== undefined ? secondsBetween(trace.startNs, trace.endNs) : undefined;
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
  const t: WireTiming = { phases, phaseTimes, newConnection, tls: first.tls, bytesSent, bytesReceived, retransmits };
  if (wireSeconds !== undefined) t.wireSeconds = wireSeconds;
  if (clientSeconds !== undefined) t.clientSeconds = clientSeconds;
  if (overheadSeconds !== undefined) t.overheadSeconds = overheadSeconds;
  if (newConnection && first.retransmits === 0 && first.establishedNs > first.synNs) t.handshakeRttSeconds = secondsBetween(first.synNs, first.establishedNs);
  if (last.minRttUs > 0) t.minRttSeconds = last.minRttUs / 1e6;
  const op = detectOperation(first.request);
  if (op) t.wireOperation = op;
  const status = last.response.split('\r\n')[0];
  if (status) t.statusLine = status;
  return t;
}
