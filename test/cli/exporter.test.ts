// The real exporter process against real RGW: two targets (one with a wrong secret), every metric
// family after one cycle, promtool's lint, OpenMetrics, status page, logs, SIGTERM, no secrets anywhere.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { s3Client, testRgw } from '../support/rgw.js';
import { bucketsWithPrefix } from '../support/store.js';
import { targetYaml } from '../support/targets.js';
import { sample, startExporter, type Exporter } from '../support/exporter.js';
import { PROBER_METRICS, PROCESS_METRICS, WIRE_METRICS } from '../../src/metrics/names.js';

const WRONG_SECRET = 'wrong-secret-9f8e7d6c5b4a';


describe('exporter against Ceph RGW', () => {
  let exp: Exporter;
  let text: string;

  before(async () => {
    exp = await startExporter(
      {
        schedule: '*/2 * * * * *',
        timeout: '5s',
        targets: [
          targetYaml({ name: 'good', extra: { bucket: { mode: 'ephemeral', prefix: 'exp-good' }, labels: { region: 'local', tier: 'gold' } } }),
          targetYaml({ name: 'badkey', secret: '${BAD_SECRET}', extra: { bucket: { mode: 'ephemeral', prefix: 'exp-bad' }, labels: { region: 'local' } } }),
          // a node target (its one node is the endpoint's address): the per-node families have samples too
          targetYaml({ name: 'pernode', objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'exp-node' }, nodes: 'discover' } }),
        ],
      },
      { BAD_SECRET: WRONG_SECRET },
    );
    await exp.waitReady();
    text = (await exp.metrics()).text;
  });

  after(async () => {
    await exp?.stop();
  });

  test('every metric family is exported after one cycle', () => {
    for (const f of [...Object.values(PROBER_METRICS), ...Object.values(PROCESS_METRICS)]) {
      assert.match(text, new RegExp(`^# TYPE ${f} `, 'm'), `missing ${f}`);
      // The cert expiry family only has samples for TLS targets: its HELP/TYPE must still be there.
      if (f === PROBER_METRICS.certExpiry) continue;
      assert.match(text, new RegExp(`^${f}(_bucket|_sum|_count)?[{ ]`, 'm'), `no sample of ${f}`);
    }
  });

  test('the good target is green, with extra labels on its series', () => {
    for (const operation of ['CreateBucket', 'PutObject', 'HeadObject', 'GetObject', 'ListObjectsV2', 'ListBuckets', 'DeleteObject', 'DeleteObjects', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'DeleteBucket']) {
      assert.equal(sample(text, 's3prober_operation_success', { target: 'good', operation }), 1, operation);
    }
    assert.equal(sample(text, 's3prober_cycle_success', { target: 'good' }), 1);
    assert.ok(sample(text, 's3prober_operation_duration_seconds_count', { target: 'good', operation: 'GetObject', size: '1MiB', region: 'local', tier: 'gold' })! >= 1);
    assert.ok(sample(text, 's3prober_phase_duration_seconds_count', { target: 'good', phase: 'processing' })! >= 1);
    assert.ok(sample(text, 's3prober_transfer_bytes_total', { target: 'good', operation: 'GetObject', direction: 'received' })! >= 7 * 1048576);
    assert.equal(sample(text, 's3prober_leftover_objects', { target: 'good' }), 0);
    // both skip reasons exist from the start, so increase() sees the first skip
    for (const reason of ['overrun', 'missed']) assert.notEqual(sample(text, 's3prober_cycles_skipped_total', { target: 'good', reason }), undefined, reason);
    assert.equal(sample(text, 's3prober_operation_failures_total', { target: 'good' }), undefined);
  });

  test('a wrong secret: reason auth, skipped dependants, no latency samples, exporter keeps running', () => {
    assert.ok(sample(text, 's3prober_operation_failures_total', { target: 'badkey', operation: 'CreateBucket', reason: 'auth' })! >= 1);
    assert.ok(sample(text, 's3prober_operations_total', { target: 'badkey', operation: 'GetObject', outcome: 'skipped' })! >= 1);
    assert.equal(sample(text, 's3prober_operation_duration_seconds_count', { target: 'badkey', operation: 'CreateBucket' }), undefined);
    assert.equal(sample(text, 's3prober_cycle_success', { target: 'badkey', tier: '' }), 0);
    assert.equal(exp.proc.child.exitCode, null);
  });

  test('the embedded tracer is up (root, built addon) and exports every wire family; the status page splits the bars into wire phases', async () => {
    assert.equal(sample(text, 's3prober_ebpf_up'), 1, 'CI runs as root with the addon built by scripts/setup.sh');
    for (const name of Object.values(WIRE_METRICS)) assert.ok(text.includes(`# TYPE ${name} `), `missing ${name}`);
    assert.ok(sample(text, 's3prober_wire_duration_seconds_count', { target: 'good', operation: 'GetObject' })! >= 1);
    assert.ok(sample(text, 's3prober_client_overhead_seconds_count', { target: 'good' })! >= 1);
    assert.ok(sample(text, 's3prober_wire_phase_duration_seconds_count', { target: 'good', phase: 'server' })! >= 1);
    // per target, not per operation: cardinality is bounded by targets x operations, once
    assert.doesNotMatch(text, /s3prober_(wire_phase_duration|client_overhead|phase_duration)_seconds_count\{[^}]*operation=/);
    const html = await (await fetch(`${exp.url}/`)).text();
    // the waterfall splits the bars into the kernel's phases (test/server/status-page.test.ts)
    assert.match(html, /<rect class="seg p-server" data-phase="server"/);
    assert.match(html, /server [\d.]+ ms \(kernel\)/);
  });

  test('a node target: its series carry the node label, the other targets\' never do', () => {
    const node = new URL(testRgw().endpoint).host;
    assert.equal(sample(text, 's3prober_target_nodes', { target: 'pernode', state: 'probed' }), 1);
    assert.equal(sample(text, 's3prober_cycle_success', { target: 'pernode', node }), 1);
    assert.doesNotMatch(text, /\{[^}]*target="(good|badkey)"[^}]*node=/);
  });

  test('promtool check metrics reports nothing', () => {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.error, undefined, 'promtool must be installed (scripts/setup.sh)');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal((r.stdout + r.stderr).trim(), '');
  });

  test('OpenMetrics when asked for it', async () => {
    const om = await exp.metrics('application/openmetrics-text; version=1.0.0');
    assert.match(om.type, /application\/openmetrics-text/);
    assert.match(om.text, /# EOF\n?$/);
    assert.match(om.text, /s3prober_operations_total\{/);
    assert.match(om.text, /# TYPE s3prober_operations counter\n/);
    const plain = await exp.metrics();
    assert.match(plain.type, /text\/plain; version=0\.0\.4/);
    // an OpenMetrics scrape must not rename counters for the next text scrape
    assert.match(plain.text, /# TYPE s3prober_operations_total counter\n/);
  });

  test('status page lists both targets with their last cycle per operation', async () => {
    const html = await (await fetch(`${exp.url}/`)).text();
    assert.match(html, /<h2>good<\/h2>/);
    assert.match(html, /<h2>badkey<\/h2>/);
    assert.match(html, /<td>GetObject<\/td><td>1MiB<\/td><td>success<\/td>/);
    assert.match(html, /<td>CreateBucket<\/td><td><\/td><td>failure<\/td>/);
    assert.doesNotMatch(html, new RegExp(WRONG_SECRET));
  });

  test('one JSON log line per failed operation, with the details; secrets never logged', () => {
    const lines = exp.proc.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const failed = lines.filter((l) => l.target === 'badkey' && l.operation === 'CreateBucket');
    assert.ok(failed.length >= 1);
    assert.equal(failed[0]!.reason, 'auth');
    assert.equal(failed[0]!.code, 'SignatureDoesNotMatch');
    assert.equal(failed[0]!.httpStatus, 403);
    assert.ok(typeof failed[0]!.requestId === 'string' && (failed[0]!.requestId as string).length > 0);
    const everything = exp.proc.output() + text;
    assert.doesNotMatch(everything, new RegExp(WRONG_SECRET));
    assert.doesNotMatch(everything, new RegExp(testRgw().secretAccessKey));
  });

  test('SIGTERM: prompt clean exit, nothing left in the store', async () => {
    const t0 = Date.now();
    const r = await exp.stop();
    assert.equal(r.code, 0, exp.proc.output().slice(-1000));
    assert.ok(Date.now() - t0 < 10_000, `exit took ${Date.now() - t0} ms`);
    const s3 = s3Client(testRgw());
    try {
      assert.deepEqual(await bucketsWithPrefix(s3, 'exp-'), []);
    } finally {
      s3.destroy();
    }
  });
});
