// Exemplars: s3prober_operation_duration_seconds buckets carry the trace of a recent observation,
// from the recorder (only a sampled trace: one that is exported) to the OpenMetrics exposition; the
// Prometheus text format has none. Our lines say what prom-client's own say (a real Prometheus
// reads them: test/tracing/exemplars.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { parseConfig } from '../../../src/config/load.js';
import { renderMetrics } from '../../../src/exposition/render.js';
import { PROBER_METRICS as N } from '../../../src/metrics/names.js';
import { MetricsRecorder } from '../../../src/metrics/recorder.js';
import { operationsOf } from '../../../src/probes/plan.js';
import type { OperationResult } from '../../../src/results/cycle.js';

const config = parseConfig(`
targets:
  - { name: t, endpoint: "http://127.0.0.1:1", credentials: { accessKeyId: a, secretAccessKey: b } }
`);

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function op(durationSeconds: number, spanId: string | undefined, sampled = true): OperationResult {
  return {
    target: 't', operation: 'GetObject', outcome: 'success', size: '4KiB', bytes: 4096, durationSeconds, traces: [], startedAt: 0,
    ...(spanId ? { span: { traceId: TRACE, spanId, sampled } } : {}),
  };
}

const exemplarLines = (text: string) => text.split('\n').filter((l) => l.startsWith(`${N.opDuration}_bucket`) && l.includes(' # {'));

test('a sampled observation is its bucket\'s exemplar in OpenMetrics, never in the Prometheus text', async () => {
  const m = new MetricsRecorder(config, operationsOf);
  m.onOperation(op(0.004, '00f067aa0ba902b7'));
  m.onOperation(op(0.0041, '00f067aa0ba902b8', false)); // not exported: no exemplar of it
  m.onOperation(op(0.3, undefined)); // tracing off
  m.onOperation(op(120, '00f067aa0ba902b9')); // past the last bucket: +Inf's
  const om = (await renderMetrics([m.registry], 'openmetrics')).text().toString('utf8');
  const lines = exemplarLines(om);
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0]!, new RegExp(`le="0\\.005"\\} 2 # \\{trace_id="${TRACE}",span_id="00f067aa0ba902b7"\\} 0\\.004 \\d+(\\.\\d+)?$`));
  assert.match(lines[1]!, new RegExp(`le="\\+Inf"\\} 4 # \\{trace_id="${TRACE}",span_id="00f067aa0ba902b9"\\} 120 \\d+(\\.\\d+)?$`));
  const text = (await renderMetrics([m.registry], 'prometheus')).text().toString('utf8');
  assert.ok(!text.includes('# {'), 'no exemplar in the Prometheus text format');
  assert.ok(text.includes(`${N.opDuration}_bucket{target="t",operation="GetObject",size="4KiB",le="0.005"} 2\n`));

  // prom-client's own OpenMetrics rendering of the same state has the same exemplar lines
  const theirs = new Registry();
  (theirs as unknown as { setContentType(t: string): void }).setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  theirs.registerMetric(m.registry.getSingleMetric(N.opDuration)!);
  const norm = (l: string) => ({ le: /le="([^"]+)"/.exec(l)?.[1], rest: l.slice(l.indexOf('} ') + 2) });
  assert.deepEqual(exemplarLines(await theirs.metrics()).map(norm), lines.map(norm));

  // a newer observation in the same bucket replaces it (after the cached text is rendered anew)
  m.onOperation(op(0.0045, '00f067aa0ba902ba'));
  const again = exemplarLines((await renderMetrics([m.registry], 'openmetrics')).text().toString('utf8'));
  assert.match(again[0]!, /span_id="00f067aa0ba902ba"\} 0\.0045 /);
});
