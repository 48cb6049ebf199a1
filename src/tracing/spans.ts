// A finished cycle as spans, from its plain results, with the times the results carry: the cycle's
// root span; a CLIENT span per S3 operation (OpenTelemetry's AWS SDK conventions); under it a CLIENT
// span per HTTP request (HTTP client conventions), its id the one the request's traceparent
// carried; under that, the kernel's wire phases when the eBPF tracer joined the request, at the
// kernel's own timestamps. Skipped operations are events of the root span.
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type HrTime, type Span } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type { CycleResult, OperationResult } from '../results/cycle.js';
import type { Operation } from '../results/operations.js';
import type { RequestTrace } from '../results/request-trace.js';
import type { SpanIds } from '../results/trace-context.js';
import { WIRE_PHASES, type WireTiming } from '../results/wire.js';
import type { SpanPipeline } from './export.js';

// Conventions still marked incubating, written out as OpenTelemetry advises for those.
const ATTR_RPC_SYSTEM = 'rpc.system';
const ATTR_RPC_SERVICE = 'rpc.service';
const ATTR_RPC_METHOD = 'rpc.method';
const ATTR_AWS_S3_BUCKET = 'aws.s3.bucket';
const ATTR_AWS_S3_KEY = 'aws.s3.key';
const ATTR_AWS_REQUEST_ID = 'aws.request_id';

/** Operations on no bucket, and on a bucket but no key. */
const NO_BUCKET: ReadonlySet<Operation> = new Set(['ListBuckets']);
const NO_KEY: ReadonlySet<Operation> = new Set(['ListBuckets', 'CreateBucket', 'DeleteBucket', 'ListObjectsV2']);

/** CLOCK_MONOTONIC ns -> wall-clock HrTime, through one offset per trace (the spans of a trace
 *  then keep the exact order and nesting of their monotonic times). */
export type ToWall = (ns: bigint) => HrTime;

export function wallClock(): ToWall {
  const offset = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6)) - process.hrtime.bigint();
  return (ns) => {
    const t = ns + offset;
    return [Number(t / 1_000_000_000n), Number(t % 1_000_000_000n)];
  };
}

const secondsToNs = (s: number): bigint => BigInt(Math.round(s * 1e9));

export interface CycleSpans {
  pipeline: SpanPipeline;
  root: Span;
  /** When the root span started: as the cycle was made, before its own start (c.startNs). */
  rootStartNs: bigint;
  cycle: CycleResult;
  /** Wire timings of the cycle's requests, by request span id. */
  wire: ReadonlyMap<string, WireTiming>;
  /** The target's endpoint URL (server.address and server.port), if known. */
  endpoint?: URL | undefined;
  toWall: ToWall;
}

/** Ends the root span and every span under it. */
export function endCycle(s: CycleSpans): void {
  const { root, cycle: c, toWall } = s;
  root.setAttributes({
    's3prober.cycle_id': c.cycleId,
    's3prober.success': c.success,
    's3prober.leftovers': c.leftovers,
    's3prober.aborted': c.aborted,
  });
  if (!c.success) root.setStatus({ code: SpanStatusCode.ERROR, message: c.internalError ?? failedOperations(c) });
  const parent = trace.setSpan(context.active(), root);
  for (const op of c.operations) {
    if (op.span && op.startNs !== undefined) operationSpan(s, op, op.span, op.startNs, parent);
    else root.addEvent(`${op.operation} ${op.outcome}`, { [ATTR_RPC_METHOD]: op.operation, 's3prober.size': op.size, ...(op.skippedBecause ? { 's3prober.skipped_because': op.skippedBecause } : {}), ...(op.reason ? { [ATTR_ERROR_TYPE]: op.reason } : {}) }, op.startedAt);
  }
  root.end(toWall((c.startNs ?? s.rootStartNs) + secondsToNs(c.durationSeconds)));
}

function failedOperations(c: CycleResult): string {
  const failed = [...new Set(c.operations.filter((o) => o.outcome === 'failure').map((o) => `${o.operation}: ${o.reason}`))];
  return failed.length ? failed.join(', ') : c.aborted ? 'aborted' : 'failed';
}

function operationSpan(s: CycleSpans, op: OperationResult, ids: SpanIds, startNs: bigint, parent: ReturnType<typeof trace.setSpan>): void {
  const { cycle: c, toWall } = s;
  const endNs = startNs + secondsToNs((op.prepareSeconds ?? 0) + (op.durationSeconds ?? 0));
  const last = op.traces[op.traces.length - 1];
  const attributes: Attributes = {
    [ATTR_RPC_SYSTEM]: 'aws-api',
    [ATTR_RPC_SERVICE]: 'S3',
    [ATTR_RPC_METHOD]: op.operation,
    's3prober.outcome': op.outcome,
    's3prober.bytes': op.bytes,
    's3prober.requests': op.traces.length,
  };
  if (op.size) attributes['s3prober.size'] = op.size;
  if (c.bucket && !NO_BUCKET.has(op.operation)) attributes[ATTR_AWS_S3_BUCKET] = c.bucket;
  if (c.keyPrefix && !NO_KEY.has(op.operation)) attributes[ATTR_AWS_S3_KEY] = c.keyPrefix;
  const status = op.httpStatus ?? last?.statusCode;
  if (status !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
  if (op.requestId) attributes[ATTR_AWS_REQUEST_ID] = op.requestId;
  if (op.errorCode) attributes['s3prober.error_code'] = op.errorCode;
  if (op.reason) attributes[ATTR_ERROR_TYPE] = op.reason;
  const span = s.pipeline.withSpanId(ids.spanId, () =>
    s.pipeline.tracer.startSpan(`S3.${op.operation}`, { kind: SpanKind.CLIENT, startTime: toWall(startNs), attributes }, parent),
  );
  if (op.outcome === 'failure') span.setStatus({ code: SpanStatusCode.ERROR, message: op.message ?? op.reason ?? 'failed' });
  const under = trace.setSpan(parent, span);
  for (const t of op.traces) if (t.span) requestSpan(s, t, t.span, endNs, under);
  span.end(toWall(endNs));
}

function requestSpan(s: CycleSpans, t: RequestTrace, ids: SpanIds, opEndNs: bigint, parent: ReturnType<typeof trace.setSpan>): void {
  const { toWall, endpoint } = s;
  const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: t.method, [ATTR_URL_SCHEME]: t.protocol.slice(0, -1) };
  if (endpoint) {
    attributes[ATTR_SERVER_ADDRESS] = endpoint.hostname.replace(/^\[|\]$/g, '');
    attributes[ATTR_SERVER_PORT] = Number(endpoint.port || (endpoint.protocol === 'https:' ? 443 : 80));
  }
  if (t.remoteAddress) attributes[ATTR_NETWORK_PEER_ADDRESS] = t.remoteAddress;
  if (t.remotePort !== undefined) attributes[ATTR_NETWORK_PEER_PORT] = t.remotePort;
  if (t.statusCode !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = t.statusCode;
  attributes['s3prober.connection_reused'] = t.reused;
  const error = t.error ?? (t.statusCode !== undefined && t.statusCode >= 400 ? String(t.statusCode) : undefined);
  if (error) attributes[ATTR_ERROR_TYPE] = error;
  const wire = s.wire.get(ids.spanId);
  if (wire) Object.assign(attributes, wireAttributes(wire));
  const span = s.pipeline.withSpanId(ids.spanId, () =>
    s.pipeline.tracer.startSpan(t.method, { kind: SpanKind.CLIENT, startTime: toWall(t.startNs), attributes }, parent),
  );
  if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  if (wire) {
    const under = trace.setSpan(parent, span);
    for (const phase of WIRE_PHASES) {
      const w = wire.phaseTimes[phase];
      if (!w) continue;
      s.pipeline.tracer
        .startSpan(phase, { kind: SpanKind.INTERNAL, startTime: toWall(w.startNs), attributes: { 's3prober.wire_phase': phase } }, under)
        .end(toWall(w.endNs));
    }
  }
  span.end(toWall(t.endNs ?? opEndNs));
}

function wireAttributes(w: WireTiming): Attributes {
  const a: Attributes = {
    'network.transport': 'tcp',
    's3prober.wire.new_connection': w.newConnection,
    's3prober.wire.retransmits': w.retransmits,
    's3prober.wire.bytes_sent': w.bytesSent,
    's3prober.wire.bytes_received': w.bytesReceived,
  };
  if (w.minRttSeconds !== undefined) a['s3prober.wire.min_rtt_seconds'] = w.minRttSeconds;
  if (w.overheadSeconds !== undefined) a['s3prober.wire.client_overhead_seconds'] = w.overheadSeconds;
  return a;
}
