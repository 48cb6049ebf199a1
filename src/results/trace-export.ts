// What the trace export tells of itself: spans the collector took, spans lost and why, failed
// export requests. The tracing consumer (src/tracing/) reports them; a recorder counts them.

/** queue_full: the bounded export queue had no room; export_failed: the collector failed or
 *  refused the batch that carried them. */
export const SPAN_DROP_REASONS = ['queue_full', 'export_failed'] as const;
export type SpanDropReason = (typeof SPAN_DROP_REASONS)[number];

export interface TraceExportSink {
  exported(spans: number): void;
  dropped(reason: SpanDropReason, spans: number): void;
  exportFailed(): void;
}
