// The durability families: labelled as every target-scoped family, counters from 0 for the
// targets with a durable set only, the pass's gauges set from a full pass alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { DurabilityRecorder } from '../../../src/metrics/durability-recorder.js';
import { DURABILITY_METRICS as N } from '../../../src/metrics/names.js';
import { MetricsRecorder } from '../../../src/metrics/recorder.js';
import { operationsOf } from '../../../src/probes/plan.js';
import type { OperationResult } from '../../../src/results/cycle.js';
import type { DurabilityResult } from '../../../src/results/durability.js';

const config = parseConfig(`
targets:
  - { name: kept, endpoint: "http://127.0.0.1:1", credentials: { accessKeyId: a, secretAccessKey: b }, labels: { tier: gold }, durability: { bucket: kept-durable } }
  - { name: plain, endpoint: "http://127.0.0.1:1", credentials: { accessKeyId: a, secretAccessKey: b } }
`);

function setup() {
  const metrics = new MetricsRecorder(config, operationsOf);
  const recorder = new DurabilityRecorder(metrics.registry, config, (t) => metrics.labelsOf(t));
  const samples = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
  return { recorder, samples };
}

const failedOp = (reason: OperationResult['reason']): OperationResult => ({
  target: 'kept', operation: 'GetObject', outcome: 'failure', size: '4KiB', bytes: 0, reason, traces: [], startedAt: 0,
});

function result(extra: Partial<DurabilityResult>): DurabilityResult {
  return { target: 'kept', startedAt: 0, durationSeconds: 0.1, operations: [], verified: 0, findings: [], filled: 0, stored: 10, ...extra };
}

test('lost and integrity start at 0 for targets with a durable set, labelled like every target series', async () => {
  const { samples } = setup();
  assert.deepEqual(await samples(N.failures), [
    { labels: { target: 'kept', tier: 'gold', reason: 'lost' }, value: 0 },
    { labels: { target: 'kept', tier: 'gold', reason: 'integrity' }, value: 0 },
  ]);
  for (const name of [N.objects, N.lastFullPass, N.oldestObject]) assert.deepEqual(await samples(name), [], `${name} waits for a full pass`);
});

test('findings and failed requests are counted by reason; the gauges follow full passes only', async () => {
  const { recorder, samples } = setup();
  const value = async (name: string, labels: Record<string, string>) =>
    (await samples(name)).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  recorder.onDurability(result({
    findings: [
      { key: 'k1', state: 'missing', detail: 'gone', rewritten: true },
      { key: 'k2', state: 'corrupt', detail: 'bytes', rewritten: false },
      { key: 'k3', state: 'missing', detail: 'gone', rewritten: true },
    ],
    operations: [failedOp('timeout'), failedOp('auth')],
  }));
  assert.equal(await value(N.failures, { reason: 'lost' }), 2);
  assert.equal(await value(N.failures, { reason: 'integrity' }), 1);
  assert.equal(await value(N.failures, { reason: 'timeout' }), 1);
  assert.equal(await value(N.failures, { reason: 'auth' }), 1);
  assert.deepEqual(await samples(N.objects), [], 'no full pass yet');

  recorder.onDurability(result({ pass: { endedAt: 1_700_000_000_000, objects: { ok: 8, missing: 2, corrupt: 0 }, oldestWrittenAt: 1_600_000_000_000 } }));
  assert.deepEqual((await samples(N.objects)).map((s) => `${s.labels.state}=${s.value}`), ['ok=8', 'missing=2', 'corrupt=0']);
  assert.equal(await value(N.lastFullPass, {}), 1_700_000_000);
  assert.equal(await value(N.oldestObject, {}), 1_600_000_000);

  // a pass that found nothing intact says so: no oldest intact object
  recorder.onDurability(result({ pass: { endedAt: 1_700_000_600_000, objects: { ok: 0, missing: 10, corrupt: 0 } } }));
  assert.deepEqual(await samples(N.oldestObject), []);
  assert.equal(await value(N.lastFullPass, {}), 1_700_000_600);
});
