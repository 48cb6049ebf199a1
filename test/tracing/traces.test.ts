// The real exporter with one environment variable set exports every cycle as a trace: a real OTLP
// receiver decodes them; the S3 requests carried their span as traceparent through the fault proxy
// to RGW (SigV4 still verified by RGW: every cycle succeeds); the kernel's phases sit inside their
// request span when the eBPF tracer runs; and a real Prometheus with exemplar storage, scraping
// OpenMetrics, returns operation-latency exemplars that name those traces.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PROBER_METRICS, TRACING_METRICS, WIRE_METRICS } from '../../src/metrics/names.js';
import { waitFor } from '../support/deploy/lib.js';
import { sample, startExporter, type Exporter } from '../support/exporter.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { spawnProc, type Proc } from '../support/proc.js';
import { freePort, testRgw } from '../support/rgw.js';
import { targetYaml } from '../support/targets.js';

let receiver: OtlpReceiver;
let proxy: FaultProxy;
let exporter: Exporter;
let prometheus: Proc;
let promUrl: string;
let dir: string;

before(async () => {
  receiver = await startOtlpReceiver();
  proxy = await startFaultProxy({ upstream: testRgw().endpoint });
  exporter = await startExporter(
    {
      schedule: '*/2 * * * * *', jitter: 0,
      targets: [targetYaml({ name: 'traced', endpoint: proxy.url, objectSizes: ['4KiB', '1MiB'], extra: { batchSize: 2, listPageSize: 1 } })],
    },
    { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 's3prober-test', OTEL_EXPORTER_OTLP_HEADERS: 'x-scope-orgid=tenant-1', OTEL_BSP_SCHEDULE_DELAY: '100' },
  );
  dir = mkdtempSync(join(tmpdir(), 's3prober-traces-'));
  const promPort = await freePort();
  promUrl = `http://127.0.0.1:${promPort}`;
  // Prometheus asks for OpenMetrics first on every scrape: exemplars come with it
  writeFileSync(join(dir, 'prometheus.yml'), stringify({
    global: { scrape_interval: '1s' },
    scrape_configs: [{ job_name: 's3prober', static_configs: [{ targets: [new URL(exporter.url).host] }] }],
  }));
  prometheus = spawnProc('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${promPort}`, '--enable-feature=exemplar-storage',
  ]);
  await prometheus.waitForUrl(`${promUrl}/-/ready`, 30_000);
});

after(async () => {
  await Promise.allSettled([prometheus?.kill(), exporter?.stop()]);
  await proxy?.close();
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const roots = () => receiver.spans().filter((s) => s.name === 's3prober cycle');

/** The spans of each complete trace (its root received), by trace id. */
function traces(): Map<string, ReceivedSpan[]> {
  const ids = new Set(roots().map((r) => r.traceId));
  const out = new Map<string, ReceivedSpan[]>();
  for (const s of receiver.spans()) if (ids.has(s.traceId)) out.set(s.traceId, [...(out.get(s.traceId) ?? []), s]);
  return out;
}

test('every cycle is one trace of S3 operation spans, request spans and (with eBPF) kernel phases', async () => {
  await waitFor('three traced cycles', async () => (roots().length >= 3 ? true : undefined), 90_000, 250);
  const { text } = await exporter.metrics();
  const cycles = sample(text, PROBER_METRICS.cyclesTotal, { target: 'traced', outcome: 'success' })!;
  assert.ok(cycles >= 3, 'cycles succeed with traceparent on every request (RGW checked SigV4)');
  assert.equal(sample(text, PROBER_METRICS.cyclesTotal, { target: 'traced', outcome: 'failure' }), 0);
  assert.ok(sample(text, TRACING_METRICS.spansExported)! > 0);
  const ebpfUp = sample(text, WIRE_METRICS.ebpfUp) === 1;

  const all = traces();
  assert.ok(all.size >= 3);
  const cycleIds = new Set<string | number | boolean>();
  let phaseSpans = 0;
  for (const [traceId, spans] of all) {
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const rootSpans = spans.filter((s) => s.parentSpanId === '');
    assert.equal(rootSpans.length, 1, `one root in ${traceId}`);
    const root = rootSpans[0]!;
    assert.equal(root.attributes['s3prober.target'], 'traced');
    assert.equal(root.attributes['s3prober.success'], true);
    assert.equal(root.resource['service.name'], 's3prober-test');
    cycleIds.add(root.attributes['s3prober.cycle_id']!);
    const ops = spans.filter((s) => s.parentSpanId === root.spanId);
    assert.ok(ops.some((o) => o.name === 'S3.PutObject') && ops.some((o) => o.name === 'S3.GetObject') && ops.some((o) => o.name === 'S3.DeleteBucket'), ops.map((o) => o.name).join());
    for (const op of ops) {
      assert.match(op.name, /^S3\.[A-Za-z0-9]+$/);
      assert.equal(op.attributes['rpc.system'], 'aws-api');
      assert.equal(op.attributes['rpc.service'], 'S3');
      assert.equal(`S3.${op.attributes['rpc.method']}`, op.name);
      assert.equal(op.attributes['http.response.status_code'] !== undefined, true, op.name);
      assert.ok(op.startNs >= root.startNs && op.endNs <= root.endNs, `${op.name} inside the cycle`);
      if (op.name !== 'S3.ListBuckets') assert.match(String(op.attributes['aws.s3.bucket']), /^s3prober-/);
      if (op.name === 'S3.PutObject') assert.match(String(op.attributes['aws.s3.key']), /^s3prober\/traced\//);
    }
    for (const req of spans.filter((s) => byId.get(s.parentSpanId)?.parentSpanId === root.spanId)) {
      const op = byId.get(req.parentSpanId)!;
      assert.ok(req.startNs >= op.startNs && req.endNs <= op.endNs, `${req.name} inside ${op.name}`);
      assert.equal(req.kind, 3);
      assert.equal(req.attributes['server.address'], '127.0.0.1');
      // the server side saw this very span as the request's parent
      assert.ok(proxy.stats.log.some((l) => l.traceparent === `00-${traceId}-${req.spanId}-01`), `traceparent of ${op.name}'s ${req.name} at the proxy`);
      for (const phase of spans.filter((s) => s.parentSpanId === req.spanId)) {
        phaseSpans++;
        assert.ok(['connect', 'tls', 'request', 'server', 'transfer'].includes(phase.name));
        assert.ok(phase.startNs >= req.startNs && phase.endNs <= req.endNs, `${op.name} ${phase.name} inside its request span`);
      }
    }
  }
  assert.equal(cycleIds.size, all.size, 'one trace per cycle');
  if (ebpfUp) assert.ok(phaseSpans > 0, 'the eBPF tracer runs: kernel phases are spans');
  // the exporter's headers reached the collector
  assert.ok(receiver.exports.every((e) => e.headers['x-scope-orgid'] === 'tenant-1' && e.contentType === 'application/x-protobuf'));
});

test('Prometheus with exemplar storage returns operation latency exemplars that name exported traces', async () => {
  const exemplars = await waitFor('exemplars of s3prober_operation_duration_seconds', async () => {
    const now = Date.now() / 1000;
    const url = `${promUrl}/api/v1/query_exemplars?query=${encodeURIComponent(`${PROBER_METRICS.opDuration}_bucket{target="traced"}`)}&start=${now - 300}&end=${now}`;
    const r = (await (await fetch(url)).json()) as { status: string; data: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string }[] }[] };
    const found = r.status === 'success' ? r.data.flatMap((d) => d.exemplars.map((e) => ({ series: d.seriesLabels, ...e }))) : [];
    return found.length ? found : undefined;
  }, 60_000, 500);
  await waitFor('the exemplars\' traces exported', async () => (exemplars.every((e) => traces().has(e.labels.trace_id!)) ? true : undefined), 30_000, 250);
  for (const e of exemplars) {
    const span = traces().get(e.labels.trace_id!)!.find((s) => s.spanId === e.labels.span_id);
    assert.ok(span, `span ${e.labels.span_id} in trace ${e.labels.trace_id}`);
    assert.equal(span.name, `S3.${e.series.operation}`, 'the exemplar is the operation span of its series');
    assert.ok(Number(e.value) > 0);
  }
});
