// What the S3 client layer measured for ONE HTTP request (one attempt: SDK retries are off).
// This is the client side of the eBPF correlation: the tracer joins kernel exchanges to these
// records by socket local port + CLOCK_MONOTONIC window (process.hrtime.bigint() and
// bpf_ktime_get_ns() are the same clock).
import type { SpanIds } from './trace-context.js';

/** The client's phases of a request, in the order they happen. These strings are label values. */
export const CLIENT_PHASES = ['resolve', 'connect', 'tls', 'processing', 'transfer'] as const;
export type ClientPhase = (typeof CLIENT_PHASES)[number];

export interface RequestTrace {
  target: string;
  /** The node behind the endpoint (address:port) when the target probes its nodes one by one. */
  node?: string;
  operation: string;
  method: string;
  /** Local TCP port of the socket that carried the request (undefined if no socket was assigned). */
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
  protocol: 'http:' | 'https:';
  /** True when the socket came from the keep-alive pool (no connect/tls phase). */
  reused: boolean;
  /** CLOCK_MONOTONIC nanoseconds. */
  startNs: bigint;
  /** Set when the response headers arrived. */
  responseNs?: bigint;
  /** Set when the last response body byte was consumed (or the request failed). */
  endNs?: bigint;
  /** Client-side phases in seconds, only those really measured. */
  phases: Partial<Record<ClientPhase, number>>;
  statusCode?: number;
  bytesSent: number;
  bytesReceived: number;
  error?: string;
  /** False for the prober's own housekeeping (cleanup, sweeps): not an operation sample. */
  measured?: boolean;
  /** The request's own span (its id is the traceparent's parent-id), when the cycle is traced. */
  span?: SpanIds;
}
