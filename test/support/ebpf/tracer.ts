// Starts the wire tracer with a private registry and a logger whose lines the test can read, and
// runs client requests the way the S3 layer does (diagnostics-channel traces), each joined at once
// (observe; the exporter queues them for a batched join).
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startWireHalf } from '../../../src/cli/wire.js';
import type { HookSet, WireTracer } from '../../../src/ebpf/index.js';
import { WIRE_METRICS } from '../../../src/metrics/names.js';
import type { WireTiming } from '../../../src/results/wire.js';
import type { WireView } from '../../../src/server/wire-view.js';
import { markRequestStart, withRequestScope } from '../../../src/s3/instrument.js';
import type { RequestTrace } from '../../../src/results/request-trace.js';

export interface TestTracer {
  tracer: WireTracer;
  registry: Registry;
  /** The status page's view of the wire results. */
  view: WireView;
  logs: Array<{ level: number; msg: string }>;
}

export async function startTestTracer(o: { hooks?: HookSet; enabled?: boolean; addonPath?: string } = {}): Promise<TestTracer> {
  const logs: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as { level: number; msg: string });
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const registry = new Registry();
  const { tracer, view } = await startWireHalf({ registry, logger, enabled: o.enabled ?? true, hooks: o.hooks, addonPath: o.addonPath });
  return { tracer, registry, view, logs };
}

export interface Traced {
  trace: RequestTrace;
  /** The tracer's wire view of exactly this request, undefined if it was not joined. */
  wire: WireTiming | undefined;
  /**
   * Seconds from just before the request was issued to the trace's end. Node 20 publishes
   * http.client.request.start only at end(), after a reused socket was already written to, so
   * the trace's own start can be late: this is the client's true window.
   */
  clientWindowSeconds: number;
}

/** Runs fn (one HTTP request) as S3 operation `operation` and returns the client and wire view. */
export async function traced(tracer: WireTracer, target: string, operation: string, fn: () => Promise<unknown>): Promise<Traced> {
  const traces: RequestTrace[] = [];
  let wire: WireTiming | undefined;
  const issuedNs = process.hrtime.bigint();
  await withRequestScope({
    target, operation, traces,
    onTrace: (t) => {
      tracer.observe(t);
      const last = tracer.lastWire();
      if (last?.trace === t) wire = last.wire;
    },
  }, async () => {
    // as the S3 client's handler does: Node publishes the request only after its connect() (or,
    // on a reused socket, its write), so its own start can come late on a busy machine
    markRequestStart();
    await fn();
  });
  // the trace ends on the response's 'end', which fires after the body was read
  await new Promise((r) => setImmediate(r));
  const trace = traces[traces.length - 1];
  if (!trace) throw new Error('no request was traced');
  return { trace, wire, clientWindowSeconds: Number((trace.endNs ?? issuedNs) - issuedNs) / 1e9 };
}

/** Sum of the family's samples with these labels; `series` picks e.g. `_count` of a histogram. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}, series = name): Promise<number | undefined> {
  const m = registry.getSingleMetric(name);
  if (!m) return undefined;
  const data = await m.get();
  let sum: number | undefined;
  for (const v of data.values) {
    if (((v as { metricName?: string }).metricName ?? name) !== series) continue;
    const l = v.labels as Record<string, string | number>;
    if (Object.entries(labels).every(([k, x]) => String(l[k]) === x)) sum = (sum ?? 0) + v.value;
  }
  return sum;
}

/**
 * The wire view of a traced request, or a failure that says what the tracer saw instead: whether
 * the request reached observe() with its ports, whether the join found no exchange (unmatched,
 * side client), what the kernel submitted and dropped, and the tracer's warnings; `context`: what
 * the caller knows besides (e.g. the kernel's own counters).
 */
export async function joinedWire(t: TestTracer, r: Traced, context?: string): Promise<WireTiming> {
  if (r.wire) return r.wire;
  const n = (name: string, labels: Record<string, string> = {}) => metricValue(t.registry, name, labels);
  const tr = r.trace;
  const last = t.tracer.lastWire();
  const facts = {
    trace: { localPort: tr.localPort, remote: `${tr.remoteAddress}:${tr.remotePort}`, reused: tr.reused, error: tr.error, status: tr.statusCode, ms: tr.endNs === undefined ? undefined : Number(tr.endNs - tr.startNs) / 1e6 },
    unmatched: { client: (await n(WIRE_METRICS.unmatched, { side: 'client' })) ?? 0, wire: (await n(WIRE_METRICS.unmatched, { side: 'wire' })) ?? 0 },
    kernel: { events: await n(WIRE_METRICS.ebpfEvents), dropped: await n(WIRE_METRICS.ebpfDropped), hookRunsMissed: await n(WIRE_METRICS.ebpfHookRunsMissed) },
    lastJoined: last && { localPort: last.trace.localPort, operation: last.trace.operation, startNs: String(last.trace.startNs) },
    status: t.tracer.status(),
    warnings: t.logs.filter((l) => l.level >= 40).map((l) => l.msg),
    context,
  };
  throw new Error(`not joined: ${JSON.stringify(facts)}`);
}
