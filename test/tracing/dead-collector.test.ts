// Traces on, collector down: cycles run and succeed as without traces; the lost spans and failed
// exports are counted, one log line says so, and no error escapes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PROBER_METRICS, PROCESS_METRICS, TRACING_METRICS } from '../../src/metrics/names.js';
import { waitFor } from '../support/deploy/lib.js';
import { sample, startExporter, type Exporter } from '../support/exporter.js';
import { freePort } from '../support/rgw.js';
import { targetYaml } from '../support/targets.js';

let exporter: Exporter;

before(async () => {
  const dead = await freePort(); // nothing listens there
  exporter = await startExporter(
    { schedule: '*/2 * * * * *', jitter: 0, targets: [targetYaml({ name: 'dark', objectSizes: ['4KiB'], extra: { batchSize: 2 } })] },
    { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${dead}/v1/traces`, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_EXPORTER_OTLP_TIMEOUT: '500' },
  );
});

after(() => exporter?.stop());

test('a dead collector changes nothing for the cycles: spans dropped and counted, one log line', async () => {
  const text = await waitFor('three cycles and failed exports of two', async () => {
    const { text } = await exporter.metrics();
    const cycles = sample(text, PROBER_METRICS.cyclesTotal, { target: 'dark', outcome: 'success' }) ?? 0;
    const failed = sample(text, TRACING_METRICS.exportFailures) ?? 0;
    return cycles >= 3 && failed >= 2 ? text : undefined;
  }, 90_000, 250);
  assert.equal(sample(text, PROBER_METRICS.cyclesTotal, { target: 'dark', outcome: 'failure' }), 0);
  for (const kind of ['unhandled_rejection', 'uncaught_exception', 'cycle']) assert.equal(sample(text, PROCESS_METRICS.internalErrors, { kind }), 0, kind);
  assert.ok(sample(text, TRACING_METRICS.spansDropped, { reason: 'export_failed' })! > 0);
  assert.equal(sample(text, TRACING_METRICS.spansDropped, { reason: 'queue_full' }), 0);
  assert.equal(sample(text, TRACING_METRICS.spansExported), 0);
  const line = await exporter.proc.waitForLine('trace export failed', 10_000); // the logger writes asynchronously
  assert.match(line, /"level":"warn".*"code":"ECONNREFUSED"/);
  const lines = exporter.proc.output().split('\n').filter((l) => l.includes('trace export failed'));
  assert.equal(lines.length, 1, 'at most one line a minute');
});
