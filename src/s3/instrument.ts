// Per-request client-side timings without replacing the SDK's HTTP handler: Node publishes every
// outgoing ClientRequest on a diagnostics channel, and AsyncLocalStorage tells us which probe
// operation (if any) issued it. Only requests made inside withRequestScope() are traced.
import dc from 'node:diagnostics_channel';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { nowNs as now, secondsBetween as secs } from '../results/clock.js';
import type { RequestTrace } from '../results/request-trace.js';
import { childOf, traceparent, type SpanIds } from '../results/trace-context.js';

export interface RequestScope {
  target: string;
  node?: string | undefined;
  operation: string;
  /** Every request attempt made in this scope, in order. */
  traces: RequestTrace[];
  /** Called once per request when it has finished (body consumed, failed or aborted). */
  onTrace?: (trace: RequestTrace) => void;
  /** Called with the peer certificate's notAfter on every new TLS connection. */
  onCertificate?: (notAfter: Date) => void;
  /** False for requests that are not a measurement (cleanup, sweeps): traced so the wire tracer
   *  can claim their exchanges, but never recorded as an operation. */
  measured?: boolean;
  /** The operation's span, when its cycle is traced: each request gets a child span of it. */
  span?: SpanIds | undefined;
  /** Set by markRequestStart() just before the SDK's handler issues the request. */
  pendingStartNs?: bigint;
  pendingSpan?: SpanIds | undefined;
}

/** What the requests issued inside run() belong to: a probe operation's scope (traced) and the
 *  abort signal of the send that issued them. */
interface RequestContext {
  scope?: RequestScope;
  signal?: AbortSignal;
}

const als = new AsyncLocalStorage<RequestContext>();
let subscribed = false;

export function withRequestScope<T>(scope: RequestScope, fn: () => Promise<T>): Promise<T> {
  if (!subscribed) {
    dc.subscribe('http.client.request.start', onRequestStart as (msg: unknown) => void);
    subscribed = true;
  }
  return als.run({ scope, signal: als.getStore()?.signal }, fn);
}

/** Runs fn with `signal` as the abort signal of the requests it issues (requestSignal()). The
 *  SDK resolves its middleware stack once per command class only for sends without options, so the
 *  signal travels here instead of in them (src/s3/client.ts). */
export function withRequestSignal<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  return als.run({ scope: als.getStore()?.scope, signal }, fn);
}

/** The abort signal for the request being issued now (withRequestSignal), if any. */
export function requestSignal(): AbortSignal | undefined {
  return als.getStore()?.signal;
}

/** Stamps the start of the request about to be issued in the current scope. Node publishes
 *  http.client.request.start only at end() (Node 20), when a reused socket may already carry the
 *  request: the handler stamps first so the client window always encloses the wire's. Returns the
 *  traceparent header of the request's span when the operation is traced. */
export function markRequestStart(): string | undefined {
  const scope = als.getStore()?.scope;
  if (!scope) return undefined;
  scope.pendingStartNs = now();
  scope.pendingSpan = scope.span && childOf(scope.span);
  return scope.pendingSpan && traceparent(scope.pendingSpan);
}
function reportCertificate(s: TLSSocket, scope: RequestScope): void {
  const cert = s.getPeerCertificate?.(false);
  if (!cert?.valid_to) return;
  const notAfter = new Date(cert.valid_to);
  if (!Number.isNaN(notAfter.getTime())) scope.onCertificate?.(notAfter);
}

function onRequestStart({ request }: { request: ClientRequest }): void {
  const scope = als.getStore()?.scope;
  if (!scope) return;
  const trace: RequestTrace = {
    target: scope.target,
    ...(scope.node === undefined ? {} : { node: scope.node }),
    operation: scope.operation,
    method: request.method,
    protocol: request.protocol === 'https:' ? 'https:' : 'http:',
    reused: false,
    startNs: scope.pendingStartNs ?? now(),
    phases: {},
    bytesSent: 0,
    bytesReceived: 0,
  };
  if (scope.pendingSpan) trace.span = scope.pendingSpan;
  scope.pendingStartNs = undefined;
  scope.pendingSpan = undefined;
  if (scope.measured === false) trace.measured = false;
  scope.traces.push(trace);
  // Marks of the connection set-up; `ready` is when the request could start flowing.
  let lookupNs: bigint | undefined;
  let connectNs: bigint | undefined;
  let secureNs: bigint | undefined;
  let socket: Socket | undefined;
  let written0 = 0;
  let read0 = 0;
  let done = false;

  const finish = (err?: Error) => {
    if (done) return;
    done = true;
    const end = now();
    trace.endNs = end;
    if (err && !trace.error) trace.error = (err as NodeJS.ErrnoException).code ?? err.name;
    if (trace.responseNs !== undefined) trace.phases.transfer = secs(trace.responseNs, end);
    if (socket) {
      trace.bytesSent = Math.max(0, socket.bytesWritten - written0);
      trace.bytesReceived = Math.max(0, socket.bytesRead - read0);
    }
    scope.onTrace?.(trace);
  };

  const attach = (s: Socket) => {
    socket = s;
    written0 = s.bytesWritten;
    read0 = s.bytesRead;
    const grabAddress = () => {
      trace.localPort = s.localPort;
      trace.remoteAddress = s.remoteAddress;
      trace.remotePort = s.remotePort;
    };
    if (!s.connecting) {
      trace.reused = true;
      grabAddress();
      // The connection may have been opened by an unscoped request (e.g. the start-up sweep):
      // its certificate still says when the endpoint's expires.
      if (trace.protocol === 'https:') reportCertificate(s as TLSSocket, scope);
      return;
    }
    s.once('lookup', () => {
      lookupNs = now();
      trace.phases.resolve = secs(trace.startNs, lookupNs);
    });
    s.once('connect', () => {
      connectNs = now();
      trace.phases.connect = secs(lookupNs ?? trace.startNs, connectNs);
      grabAddress();
    });
    if (trace.protocol === 'https:') {
      s.once('secureConnect', () => {
        secureNs = now();
        if (connectNs !== undefined) trace.phases.tls = secs(connectNs, secureNs);
        reportCertificate(s as TLSSocket, scope);
      });
    }
  };
  if (request.socket) attach(request.socket);
  else request.once('socket', attach);

  request.once('response', (res: IncomingMessage) => {
    trace.responseNs = now();
    trace.statusCode = res.statusCode;
    trace.phases.processing = secs(secureNs ?? connectNs ?? trace.startNs, trace.responseNs);
    res.once('end', () => finish());
    res.once('error', finish);
    res.once('close', () => finish(res.complete ? undefined : Object.assign(new Error('response closed early'), { code: 'ECONNRESET' })));
  });
  request.once('error', finish);
  request.once('close', () => {
    // A request closed before its response (aborted, reset) still ends its trace.
    if (trace.responseNs === undefined) finish(Object.assign(new Error('request closed before response'), { code: 'ECONNRESET' }));
  });
}
