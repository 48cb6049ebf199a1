// The trace consumer, from plain results to OTLP: a real OTLP/HTTP receiver decodes what it
// exports. A cycle is one trace: its root, a span per operation, a span per request with the id the
// request's traceparent carried, and the kernel's phases inside their request span. A dead
// collector and a full queue cost spans (counted), never an error.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { createLogger } from '../../../src/log/logger.js';
import { nowNs } from '../../../src/results/clock.js';
import type { CycleResult, OperationResult } from '../../../src/results/cycle.js';
import type { RequestTrace } from '../../../src/results/request-trace.js';
import { childOf, type SpanIds } from '../../../src/results/trace-context.js';
import type { SpanDropReason, TraceExportSink } from '../../../src/results/trace-export.js';
import type { WireResult } from '../../../src/results/wire.js';
import { CycleTracer, type CycleTracerOptions } from '../../../src/tracing/cycle-tracer.js';
import { tracesUrl } from '../../../src/tracing/settings.js';
import { freePort } from '../../support/rgw.js';
import { startOtlpReceiver, type ReceivedSpan } from '../../support/otlp-receiver.js';

const receiver = await startOtlpReceiver();
after(() => receiver.close());

function counters() {
  const c = { exported: 0, dropped: { queue_full: 0, export_failed: 0 } as Record<SpanDropReason, number>, failures: 0 };
  const sink: TraceExportSink = { exported: (n) => (c.exported += n), dropped: (r, n) => (c.dropped[r] += n), exportFailed: () => c.failures++ };
  return { c, sink };
}

function logLines() {
  const lines: { level: string; msg: string; err?: { code?: string } }[] = [];
  // the exporter's own logger: its serializers run as in production
  const logger = createLogger('info', new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk))); cb(); } }));
  return { lines, logger };
}

function tracer(o: Partial<CycleTracerOptions> & Pick<CycleTracerOptions, 'sink'>): CycleTracer {
  return new CycleTracer({
    settings: { protocol: 'http/protobuf', url: tracesUrl(receiver.url) }, version: 'test', logger: pino({ level: 'silent' }),
    endpointOf: () => 'http://s3.example.test:7480', scheduledDelayMillis: 20, ...o,
  });
}

const ms = (n: number) => BigInt(n) * 1_000_000n;

/** A cycle as the producer makes it: a PutObject of one request on a new connection, a GetObject
 *  that failed with a 503, and a skipped DeleteObject; the wire result of the PutObject's request. */
function cycleOf(root: SpanIds, t0: bigint): { c: CycleResult; wire: WireResult; put: OperationResult; get: OperationResult } {
  const putSpan = childOf(root);
  const putReq: RequestTrace = {
    target: 't', operation: 'PutObject', method: 'PUT', protocol: 'http:', reused: false, startNs: t0 + ms(1), responseNs: t0 + ms(8), endNs: t0 + ms(9),
    phases: {}, statusCode: 200, bytesSent: 4200, bytesReceived: 300, remoteAddress: '127.0.0.1', remotePort: 7480, span: childOf(putSpan),
  };
  const put: OperationResult = {
    target: 't', operation: 'PutObject', outcome: 'success', size: '4KiB', bytes: 4096, durationSeconds: 0.009, prepareSeconds: 0.001,
    traces: [putReq], startedAt: Date.now(), startNs: t0, span: putSpan,
  };
  const getSpan = childOf(root);
  const getReq: RequestTrace = {
    target: 't', operation: 'GetObject', method: 'GET', protocol: 'http:', reused: true, startNs: t0 + ms(11), responseNs: t0 + ms(13), endNs: t0 + ms(13),
    phases: {}, statusCode: 503, bytesSent: 200, bytesReceived: 300, span: childOf(getSpan),
  };
  const get: OperationResult = {
    target: 't', operation: 'GetObject', outcome: 'failure', size: '4KiB', bytes: 0, durationSeconds: 0.004, reason: 'server_error', httpStatus: 503,
    errorCode: 'ServiceUnavailable', requestId: 'tx000-req-1', message: 'Service Unavailable', traces: [getReq], startedAt: Date.now(), startNs: t0 + ms(10), span: getSpan,
  };
  const skipped: OperationResult = { target: 't', operation: 'DeleteObject', outcome: 'skipped', size: '4KiB', bytes: 0, skippedBecause: 'GetObject', traces: [], startedAt: Date.now() };
  const wire: WireResult = {
    trace: putReq,
    wire: {
      phases: {}, newConnection: true, tls: false, bytesSent: 4200, bytesReceived: 300, retransmits: 0, minRttSeconds: 0.00005,
      phaseTimes: {
        connect: { startNs: t0 + ms(2), endNs: t0 + ms(3) }, request: { startNs: t0 + ms(3), endNs: t0 + ms(4) },
        server: { startNs: t0 + ms(4), endNs: t0 + ms(7) }, transfer: { startNs: t0 + ms(7), endNs: t0 + ms(8) },
      },
    },
  };
  const c: CycleResult = {
    target: 't', cycleId: 'c1', bucket: 'canary-bucket', keyPrefix: 's3prober/t/c1/', startedAt: Date.now(), durationSeconds: 1,
    success: false, operations: [put, get, skipped], leftovers: 0, aborted: false, span: root,
  };
  return { c, wire, put, get };
}

async function spansOfTrace(traceId: string, count: number): Promise<ReceivedSpan[]> {
  for (let i = 0; i < 200; i++) {
    const got = receiver.spans().filter((s) => s.traceId === traceId);
    if (got.length >= count) return got;
    await sleep(25);
  }
  return receiver.spans().filter((s) => s.traceId === traceId);
}

test('a cycle is one trace: root, operations, requests with their traceparent ids, kernel phases inside', async () => {
  const { c: n, sink } = counters();
  const t = tracer({ sink });
  const root = t.traceCycle('t');
  assert.equal(root.sampled, true);
  assert.match(root.traceId, /^[0-9a-f]{32}$/);
  const { c, wire, put, get } = cycleOf(root, nowNs());
  t.onWire(wire);
  t.onCycle(c);
  // root + 2 operations + 2 requests + 4 kernel phases
  const spans = await spansOfTrace(root.traceId, 9);
  await t.close();
  assert.equal(spans.length, 9, spans.map((s) => s.name).join());
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const rootSpan = byId.get(root.spanId)!;
  assert.equal(rootSpan.parentSpanId, '');
  assert.equal(rootSpan.name, 's3prober cycle');
  assert.equal(rootSpan.attributes['s3prober.target'], 't');
  assert.equal(rootSpan.status.code, 2, 'a failed cycle is an error');
  assert.deepEqual(rootSpan.events.map((e) => [e.name, e.attributes['s3prober.skipped_because']]), [['DeleteObject skipped', 'GetObject']]);
  assert.equal(rootSpan.resource['service.name'], 's3prober');

  const putSpan = byId.get(put.span!.spanId)!;
  assert.equal(putSpan.parentSpanId, root.spanId);
  assert.equal(putSpan.name, 'S3.PutObject');
  assert.equal(putSpan.kind, 3, 'CLIENT');
  assert.deepEqual(
    { ...putSpan.attributes },
    {
      'rpc.system': 'aws-api', 'rpc.service': 'S3', 'rpc.method': 'PutObject', 'aws.s3.bucket': 'canary-bucket', 'aws.s3.key': 's3prober/t/c1/',
      'http.response.status_code': 200, 's3prober.outcome': 'success', 's3prober.bytes': 4096, 's3prober.requests': 1, 's3prober.size': '4KiB',
    },
  );
  assert.equal(putSpan.endNs - putSpan.startNs, ms(10), 'prepare + duration');

  const putReq = byId.get(put.traces[0]!.span!.spanId)!;
  assert.equal(putReq.parentSpanId, putSpan.spanId);
  assert.equal(putReq.name, 'PUT');
  assert.equal(putReq.attributes['http.request.method'], 'PUT');
  assert.equal(putReq.attributes['server.address'], 's3.example.test');
  assert.equal(putReq.attributes['server.port'], 7480);
  assert.equal(putReq.attributes['network.peer.port'], 7480);
  assert.equal(putReq.attributes['s3prober.wire.new_connection'], true);
  const phases = spans.filter((s) => s.parentSpanId === putReq.spanId);
  assert.deepEqual(phases.map((s) => s.name).sort(), ['connect', 'request', 'server', 'transfer']);
  const offset = putSpan.startNs - c.operations[0]!.startNs!; // wall - monotonic, the same for every span
  for (const p of phases) {
    const kernel = wire.wire.phaseTimes[p.name as 'connect']!;
    assert.equal(p.startNs - offset, kernel.startNs, `${p.name} starts at the kernel's timestamp`);
    assert.equal(p.endNs - offset, kernel.endNs, `${p.name} ends at the kernel's timestamp`);
    assert.ok(p.startNs >= putReq.startNs && p.endNs <= putReq.endNs, `${p.name} inside its request span`);
    assert.ok(p.startNs >= putSpan.startNs && p.endNs <= putSpan.endNs, `${p.name} inside its operation span`);
  }
  assert.ok(putSpan.startNs >= rootSpan.startNs && putSpan.endNs <= rootSpan.endNs, 'operation inside the cycle');

  const getSpan = byId.get(get.span!.spanId)!;
  assert.equal(getSpan.status.code, 2);
  assert.equal(getSpan.attributes['error.type'], 'server_error');
  assert.equal(getSpan.attributes['aws.request_id'], 'tx000-req-1');
  assert.equal(getSpan.attributes['http.response.status_code'], 503);
  const getReq = byId.get(get.traces[0]!.span!.spanId)!;
  assert.equal(getReq.attributes['error.type'], '503');
  assert.equal(spans.filter((s) => s.parentSpanId === getReq.spanId).length, 0, 'no wire result, no phase spans');
  assert.equal(n.exported, 9);
  assert.deepEqual(n.dropped, { queue_full: 0, export_failed: 0 });
});

test('each cycle of each node is a trace of its own; wire results of other traces are ignored', async () => {
  const { sink } = counters();
  const t = tracer({ sink });
  const a = t.traceCycle('t', '10.0.0.1:7480');
  const b = t.traceCycle('t', '10.0.0.2:7480');
  assert.notEqual(a.traceId, b.traceId);
  const ca = cycleOf(a, nowNs());
  const cb = cycleOf(b, nowNs());
  ca.c.node = '10.0.0.1:7480';
  cb.c.node = '10.0.0.2:7480';
  t.onWire(cb.wire); // b's wire result only
  t.onCycle(ca.c);
  t.onCycle(cb.c);
  const sa = await spansOfTrace(a.traceId, 5);
  const sb = await spansOfTrace(b.traceId, 9);
  await t.close();
  assert.equal(sa.length, 5);
  assert.equal(sb.length, 9);
  assert.equal(sa.find((s) => s.spanId === a.spanId)?.attributes['s3prober.node'], '10.0.0.1:7480');
});

/** Runs fn with OTEL_* variables set (the exporter and SDK read them when built). */
async function withEnv(env: Record<string, string>, fn: () => Promise<void>): Promise<void> {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !ok(); i++) await sleep(25);
  assert.ok(ok(), what);
}

test('a dead collector: spans dropped and counted, one log line, nothing thrown', () =>
  // the exporter retries a refused connection until its timeout: a short one here
  withEnv({ OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '300' }, async () => {
    const { c: n, sink } = counters();
    const { lines, logger } = logLines();
    const dead = await freePort();
    const t = tracer({ sink, logger, settings: { protocol: 'http/protobuf', url: tracesUrl(`http://127.0.0.1:${dead}`) } });
    for (let i = 1; i <= 3; i++) {
      const root = t.traceCycle('t');
      t.onCycle(cycleOf(root, nowNs()).c);
      await until(`cycle ${i}'s spans dropped`, () => n.dropped.export_failed === 5 * i);
    }
    await t.close();
    assert.equal(n.exported, 0);
    assert.equal(n.failures, 3, 'one failed export per cycle');
    const warned = lines.filter((l) => /trace export failed/.test(l.msg));
    assert.equal(warned.length, 1, 'rate-limited to one line');
    assert.equal(warned[0]!.level, 'warn');
    assert.equal(warned[0]!.err?.code, 'ECONNREFUSED');
  }));

test('a full queue drops spans and counts them', async () => {
  // a collector that accepts and never answers: the first batch stays in flight
  const held: Socket[] = [];
  const stall = createNetServer((s) => held.push(s));
  await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve));
  const { c: n, sink } = counters();
  const url = tracesUrl(`http://127.0.0.1:${(stall.address() as AddressInfo).port}`);
  const t = tracer({ sink, maxQueueSize: 4, settings: { protocol: 'http/protobuf', url } });
  for (let i = 0; i < 2; i++) t.onCycle(cycleOf(t.traceCycle('t'), nowNs()).c);
  // 10 spans: 4 leave in the first batch (which hangs), 4 wait in the queue, 2 find no room
  await until('spans dropped', () => n.dropped.queue_full === 2);
  await t.close();
  for (const s of held) s.destroy();
  stall.close();
  assert.equal(n.dropped.queue_full, 2);
  assert.equal(n.exported, 0);
});

test('OTEL_TRACES_SAMPLER: an unsampled cycle still has ids (sent with flags 00), nothing is exported', () =>
  withEnv({ OTEL_TRACES_SAMPLER: 'always_off' }, async () => {
    const { c: n, sink } = counters();
    const t = tracer({ sink });
    const root = t.traceCycle('t');
    assert.equal(root.sampled, false);
    assert.match(root.traceId, /^[0-9a-f]{32}$/);
    t.onCycle(cycleOf(root, nowNs()).c);
    await t.close();
    assert.equal(n.exported, 0);
    assert.equal(receiver.spans().filter((s) => s.traceId === root.traceId).length, 0);
  }));

test('OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS reach the collector; http/json works too', () =>
  withEnv({ OTEL_SERVICE_NAME: 'prober-eu', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging', OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=team-s3' }, async () => {
    for (const protocol of ['http/protobuf', 'http/json'] as const) {
      const { c: n, sink } = counters();
      const t = tracer({ sink, settings: { protocol, url: tracesUrl(receiver.url) } });
      const root = t.traceCycle('t');
      t.onCycle(cycleOf(root, nowNs()).c);
      const spans = await spansOfTrace(root.traceId, 5);
      await t.close();
      assert.equal(n.exported, 5, protocol);
      assert.equal(spans[0]!.resource['service.name'], 'prober-eu');
      assert.equal(spans[0]!.resource['deployment.environment.name'], 'staging');
      assert.equal(spans[0]!.resource['service.version'], 'test');
      const e = receiver.exports.find((x) => x.spans.some((s) => s.traceId === root.traceId))!;
      assert.equal(e.headers['x-tenant'], 'team-s3');
      assert.match(e.contentType, protocol === 'http/json' ? /json/ : /protobuf/);
    }
  }));
