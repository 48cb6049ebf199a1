// The span pipeline: an SDK tracer whose spans go through a bounded queue to an OTLP/HTTP exporter.
// Exporting must never slow or break a cycle: spans wait in the BatchSpanProcessor's queue and leave
// in batches on its timer; a full queue drops spans (counted), a failed export drops its batch
// (counted, and logged at most once a minute), and nothing of it reaches the cycle.
import { ExportResultCode, getNumberFromEnv, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider, BatchSpanProcessor, RandomIdGenerator,
  type IdGenerator, type ReadableSpan, type SpanExporter, type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { TraceExportSink } from '../results/trace-export.js';
import type { TracingSettings } from './settings.js';

/** The BatchSpanProcessor's own default (OTEL_BSP_MAX_QUEUE_SIZE overrides it). */
const DEFAULT_QUEUE_SIZE = 2048;
/** At most one log line about failed exports per this long. */
const FAILURE_LOG_EVERY_MS = 60_000;
/** Stopping waits this long at most for the last batch. */
const SHUTDOWN_WAIT_MS = 2000;

/** Span ids chosen by the caller: a cycle's spans carry the ids its requests sent as traceparent.
 *  Anything not chosen gets a random id. */
class ChosenIds implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  next: string | undefined;
  generateTraceId(): string {
    return this.random.generateTraceId();
  }
  generateSpanId(): string {
    const id = this.next ?? this.random.generateSpanId();
    this.next = undefined;
    return id;
  }
}

/** Counts what the exporter takes from the queue and what becomes of it. */
class CountingExporter implements SpanExporter {
  private failures = 0;
  private lastLog = 0;
  constructor(
    private readonly inner: SpanExporter,
    private readonly taken: (spans: number) => void,
    private readonly sink: TraceExportSink,
    private readonly logger: Logger,
  ) {}

  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.taken(spans.length);
    this.inner.export(spans, (r) => {
      try {
        if (r.code === ExportResultCode.SUCCESS) this.sink.exported(spans.length);
        else this.failed(spans.length, r.error);
      } finally {
        done(r); // the queue moves on whatever happened here
      }
    });
  }

  private failed(spans: number, error: Error | undefined): void {
    this.sink.dropped('export_failed', spans);
    this.sink.exportFailed();
    this.failures++;
    const now = Date.now();
    if (now - this.lastLog < FAILURE_LOG_EVERY_MS) return;
    this.logger.warn({ failures: this.failures, ...(error ? { err: error } : {}) }, `trace export failed: ${spans} spans dropped (failed exports since the last such line: ${this.failures}; cycles are unaffected)`);
    this.lastLog = now;
    this.failures = 0;
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** A BatchSpanProcessor that drops (and counts) what its queue has no room for: its own drops are
 *  only logged. The exporter tells when spans leave the queue, so the count here is exact. */
class BoundedProcessor implements SpanProcessor {
  private queued = 0;
  constructor(
    private readonly inner: SpanProcessor,
    private readonly capacity: number,
    private readonly sink: TraceExportSink,
  ) {}
  left(spans: number): void {
    this.queued = Math.max(0, this.queued - spans);
  }
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    if (this.queued >= this.capacity) {
      this.sink.dropped('queue_full', 1);
      return;
    }
    this.queued++;
    this.inner.onEnd(span);
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

export interface SpanPipeline {
  tracer: Tracer;
  /** Runs start() with `spanId` as the id of the span it starts. */
  withSpanId<T>(spanId: string, start: () => T): T;
  /** Exports what is queued (waits at most a moment) and stops. */
  shutdown(): Promise<void>;
}

export interface PipelineOptions {
  settings: TracingSettings;
  version: string;
  sink: TraceExportSink;
  logger: Logger;
  /** Tests: a smaller queue or a shorter batch delay than OTEL_BSP_* or the defaults. */
  maxQueueSize?: number;
  scheduledDelayMillis?: number;
}

export function startPipeline(o: PipelineOptions): SpanPipeline {
  const { settings } = o;
  const config = { ...(settings.url ? { url: settings.url } : {}), ...(settings.headers ? { headers: settings.headers } : {}) };
  const otlp = settings.protocol === 'http/json' ? new JsonExporter(config) : new ProtoExporter(config);
  const capacity = o.maxQueueSize ?? getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE') ?? DEFAULT_QUEUE_SIZE;
  let bounded: BoundedProcessor | undefined;
  const exporter = new CountingExporter(otlp, (n) => bounded?.left(n), o.sink, o.logger);
  const batch = new BatchSpanProcessor(exporter, {
    maxQueueSize: capacity,
    ...(o.scheduledDelayMillis === undefined ? {} : { scheduledDelayMillis: o.scheduledDelayMillis }),
  });
  bounded = new BoundedProcessor(batch, capacity, o.sink);
  // ours first, then OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME over them
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 's3prober', [ATTR_SERVICE_VERSION]: o.version }))
    .merge(detectResources({ detectors: [envDetector] }));
  const ids = new ChosenIds();
  // the sampler comes from OTEL_TRACES_SAMPLER (default parentbased_always_on)
  const provider = new BasicTracerProvider({ resource, idGenerator: ids, spanProcessors: [bounded] });
  return {
    tracer: provider.getTracer('s3prober', o.version),
    withSpanId(spanId, start) {
      ids.next = spanId;
      try {
        return start();
      } finally {
        ids.next = undefined;
      }
    },
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const wait = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS).unref()));
      await Promise.race([provider.shutdown().catch(() => undefined), wait]);
      clearTimeout(timer);
    },
  };
}
