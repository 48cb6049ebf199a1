// The tracing consumer: a cycle is a trace. Asked as a cycle starts, it opens the cycle's root span
// (the sampler decides there) and hands its ids to the producer, whose requests carry them; the wire
// results of those requests arrive from the WireSink as they are joined; when the cycle's result
// arrives, the spans are built from the plain results (spans.ts) and queued for export.
import { SpanKind, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { nowNs } from '../results/clock.js';
import type { CycleResult } from '../results/cycle.js';
import type { TraceExportSink } from '../results/trace-export.js';
import type { SpanIds } from '../results/trace-context.js';
import { WIRE_RESULT_DELAY_MS, type WireResult, type WireTiming } from '../results/wire.js';
import { startPipeline, type SpanPipeline } from './export.js';
import type { TracingSettings } from './settings.js';
import { endCycle, wallClock, type ToWall } from './spans.js';

/** A cycle's spans are built this long after its result, for wire results still being joined. */
const WIRE_GRACE_MS = WIRE_RESULT_DELAY_MS + 100;

interface OpenCycle {
  key: string;
  root: Span;
  startNs: bigint;
  toWall: ToWall;
  wire: Map<string, WireTiming>;
}

export interface CycleTracerOptions {
  settings: TracingSettings;
  version: string;
  sink: TraceExportSink;
  logger: Logger;
  /** The endpoint URL of a target by name (server.address of request spans). */
  endpointOf: (target: string) => string | undefined;
  maxQueueSize?: number;
  scheduledDelayMillis?: number;
}

const keyOf = (target: string, node: string | undefined) => (node === undefined ? target : `${target}\u0000${node}`);

export class CycleTracer {
  private readonly pipeline: SpanPipeline;
  /** Cycles whose root is open, by trace id; and the running one of each target (or node). */
  private readonly open = new Map<string, OpenCycle>();
  private readonly running = new Map<string, string>();
  /** Cycles whose spans wait out the wire grace: what to run at once on close. */
  private readonly pending = new Map<NodeJS.Timeout, () => void>();

  constructor(private readonly o: CycleTracerOptions) {
    this.pipeline = startPipeline(o);
  }

  /** A cycle starts: its root span's ids, and whether it is sampled. */
  traceCycle(target: string, node?: string): SpanIds {
    const key = keyOf(target, node);
    const stale = this.running.get(key);
    if (stale !== undefined) this.abandon(stale); // a cycle whose result never came
    const startNs = nowNs();
    const toWall = wallClock();
    const root = this.pipeline.tracer.startSpan('s3prober cycle', {
      kind: SpanKind.INTERNAL,
      startTime: toWall(startNs),
      attributes: { 's3prober.target': target, ...(node === undefined ? {} : { 's3prober.node': node }) },
    });
    const ctx = root.spanContext();
    const ids = { traceId: ctx.traceId, spanId: ctx.spanId, sampled: root.isRecording() };
    if (ids.sampled) {
      this.open.set(ids.traceId, { key, root, startNs, toWall, wire: new Map() });
      this.running.set(key, ids.traceId);
    }
    return ids;
  }

  /** A request of a traced cycle joined to the wire. */
  onWire(r: WireResult): void {
    const s = r.trace.span;
    if (s?.sampled) this.open.get(s.traceId)?.wire.set(s.spanId, r.wire);
  }

  onCycle(c: CycleResult): void {
    const key = keyOf(c.target, c.node);
    const traceId = c.span?.traceId ?? this.running.get(key);
    if (this.running.get(key) === traceId) this.running.delete(key);
    if (traceId === undefined || !this.open.has(traceId)) return;
    const finish = () => {
      this.pending.delete(timer);
      this.finish(traceId, c);
    };
    const timer = setTimeout(finish, WIRE_GRACE_MS).unref();
    this.pending.set(timer, finish);
  }

  private finish(traceId: string, c: CycleResult): void {
    const open = this.open.get(traceId);
    if (!open) return;
    this.open.delete(traceId);
    try {
      const endpoint = this.o.endpointOf(c.target);
      endCycle({ pipeline: this.pipeline, root: open.root, rootStartNs: open.startNs, cycle: c, wire: open.wire, endpoint: endpoint ? new URL(endpoint) : undefined, toWall: open.toWall });
    } catch (e) {
      // a bug of ours in building spans: the trace is lost, the cycle is not
      this.o.logger.error({ target: c.target, node: c.node, bug: e }, 'building the cycle\'s trace failed');
    }
  }

  private abandon(traceId: string): void {
    const open = this.open.get(traceId);
    this.open.delete(traceId);
    open?.root.setAttribute('s3prober.abandoned', true);
    open?.root.end();
  }

  /** Builds what is pending, exports what is queued (briefly) and stops. */
  async close(): Promise<void> {
    for (const [timer, finish] of [...this.pending]) {
      clearTimeout(timer);
      finish();
    }
    for (const traceId of [...this.open.keys()]) this.abandon(traceId);
    this.running.clear();
    await this.pipeline.shutdown();
  }
}
