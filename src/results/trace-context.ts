// W3C trace context of a cycle's spans, as plain ids. Producers stamp them on their results and on
// each S3 request (traceparent); a consumer (src/tracing/) turns the results into spans with these
// very ids, so that a server that traces the request joins the same trace.
import { randomBytes } from 'node:crypto';

export interface SpanIds {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  /** The trace is exported (the sampler's decision for the cycle). */
  sampled: boolean;
}

/** A new span id; never all zeros (W3C: invalid). */
function newSpanId(): string {
  for (;;) {
    const id = randomBytes(8).toString('hex');
    if (id !== '0000000000000000') return id;
  }
}

/** A new span of the same trace. */
export function childOf(parent: SpanIds): SpanIds {
  return { traceId: parent.traceId, spanId: newSpanId(), sampled: parent.sampled };
}

/** The W3C traceparent header value (version 00). */
export function traceparent(ids: SpanIds): string {
  return `00-${ids.traceId}-${ids.spanId}-${ids.sampled ? '01' : '00'}`;
}
