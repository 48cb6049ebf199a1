// The replication families: series of each configured replication from the start (failures that
// alerts read at 0, nothing in flight), lag observed per kind, one failure per outcome by reason,
// the in-flight gauge following the probe's counts, skipped writes counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { parseConfig } from '../../../src/config/load.js';
import { REPLICATION_METRICS as N } from '../../../src/metrics/names.js';
import { ReplicationRecorder } from '../../../src/metrics/replication-recorder.js';
import type { ReplicationOutcome } from '../../../src/results/replication.js';

const config = parseConfig(`
targets:
  - { name: eu, endpoint: "http://127.0.0.1:1", credentials: { accessKeyId: a, secretAccessKey: b } }
  - { name: us, endpoint: "http://127.0.0.1:2", credentials: { accessKeyId: a, secretAccessKey: b } }
replication:
  - { name: eu-to-us, source: eu, destination: us, bucket: replicated }
`);
const pair = { replication: 'eu-to-us', source: 'eu', destination: 'us' };

function setup() {
  const registry = new Registry();
  const recorder = new ReplicationRecorder(registry, config);
  const values = async (name: string, series = name) =>
    (await registry.getSingleMetric(name)!.get()).values
      .filter((v) => ((v as { metricName?: string }).metricName ?? name) === series)
      .map((v) => ({ labels: v.labels, value: v.value }));
  return { recorder, values };
}

const outcome = (o: Partial<ReplicationOutcome>): ReplicationOutcome => ({ ...pair, kind: 'object', key: 'k', since: 1_000_000, polls: 2, operations: [], ...o });

test('each replication starts with its failures at 0 and nothing in flight; no lag until one arrives', async () => {
  const { values } = setup();
  assert.deepEqual(await values(N.failures), [
    { labels: { ...pair, kind: 'object', reason: 'timeout' }, value: 0 },
    { labels: { ...pair, kind: 'object', reason: 'integrity' }, value: 0 },
    { labels: { ...pair, kind: 'delete', reason: 'timeout' }, value: 0 },
  ]);
  assert.deepEqual(await values(N.inFlight), [
    { labels: { ...pair, kind: 'object' }, value: 0 },
    { labels: { ...pair, kind: 'delete' }, value: 0 },
  ]);
  assert.deepEqual(await values(N.skippedWrites), [{ labels: pair, value: 0 }]);
  assert.deepEqual(await values(N.lag, `${N.lag}_count`), []);
  assert.deepEqual(await values(N.lastReplicated), []);
});

test('lags are observed per kind, failures counted once per outcome by reason, the gauge follows the counts', async () => {
  const { recorder, values } = setup();
  recorder.onReplication(outcome({ lagSeconds: 1.5 }));
  recorder.onReplication(outcome({ kind: 'delete', lagSeconds: 700, since: 2_000_000 }));
  recorder.onReplication(outcome({ reason: 'timeout', polls: 21 }));
  recorder.onReplication(outcome({ reason: 'connection_refused' }));
  recorder.onReplicationInFlight({ ...pair, inFlight: { object: 3, delete: 1 } });
  recorder.onReplicationInFlight({ ...pair, inFlight: { object: 3, delete: 1 }, skippedWrite: true });
  const find = async (name: string, labels: Record<string, string>, series = name) =>
    (await values(name, series)).find((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))?.value;
  assert.equal(await find(N.lag, { kind: 'object' }, `${N.lag}_sum`), 1.5);
  assert.equal(await find(N.lag, { kind: 'delete', le: '600' }, `${N.lag}_bucket`), 0);
  assert.equal(await find(N.lag, { kind: 'delete', le: '900' }, `${N.lag}_bucket`), 1);
  assert.equal(await find(N.lastReplicated, { kind: 'delete' }), 2000 + 700);
  assert.equal(await find(N.failures, { kind: 'object', reason: 'timeout' }), 1);
  assert.equal(await find(N.failures, { kind: 'object', reason: 'connection_refused' }), 1);
  assert.equal(await find(N.failures, { kind: 'delete', reason: 'timeout' }), 0);
  assert.equal(await find(N.inFlight, { kind: 'object' }), 3);
  assert.equal(await find(N.inFlight, { kind: 'delete' }), 1);
  assert.equal(await find(N.skippedWrites, {}), 1);
});
