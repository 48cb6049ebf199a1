// Per-node probing against RGW: each node reached at its own address under the endpoint's name,
// its results and series apart; a dead node colours only its own; a forgotten node's series go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { MetricsRecorder } from '../../src/metrics/recorder.js';
import { operationsOf } from '../../src/probes/plan.js';
import { TargetRunner } from '../../src/probes/target-runner.js';
import type { CycleResult } from '../../src/results/cycle.js';
import { sample } from '../support/exporter.js';
import { freePort, testRgw } from '../support/rgw.js';
import { targetYaml } from '../support/targets.js';
import { stringify } from 'yaml';

const logger = pino({ level: 'silent' });

test('two nodes behind a name that does not resolve: the live one succeeds under the name, the dead one alone fails', async () => {
  const rgw = new URL(testRgw().endpoint);
  const dead = await freePort();
  const config = parseConfig(stringify({
    targets: [targetYaml({
      name: 'multi', endpoint: `http://s3.nodes.invalid:${rgw.port}`, objectSizes: ['4KiB'],
      extra: { bucket: { mode: 'ephemeral', prefix: 'nodes-two' }, nodes: ['127.0.0.1', `127.0.0.1:${dead}`], timeout: '3s' },
    })],
  }));
  const t = config.targets[0]!;
  const recorder = new MetricsRecorder(config, operationsOf);
  const runner = new TargetRunner(t, logger, {
    onOperation: (r) => recorder.onOperation(r),
    onNodes: (target, n) => recorder.onNodes(target, n),
  });
  try {
    const results = await runner.runCycle();
    for (const r of results) recorder.onCycle(r);
    const by: Record<string, CycleResult> = Object.fromEntries(results.map((r) => [r.node, r]));
    const live = `127.0.0.1:${rgw.port}`;
    const down = `127.0.0.1:${dead}`;
    assert.deepEqual(Object.keys(by).sort(), [live, down].sort());
    assert.equal(by[live]!.success, true, JSON.stringify(by[live]!.operations.filter((o) => o.outcome !== 'success')));
    assert.equal(by[down]!.success, false);
    assert.ok(by[down]!.operations.filter((o) => o.outcome === 'failure').every((o) => o.reason === 'connection_refused'));
    for (const r of results) for (const o of r.operations) assert.equal(o.node, r.node);

    const text = await recorder.registry.metrics();
    assert.equal(sample(text, 's3prober_cycle_success', { target: 'multi', node: live }), 1);
    assert.equal(sample(text, 's3prober_cycle_success', { target: 'multi', node: down }), 0);
    assert.equal(sample(text, 's3prober_operation_success', { target: 'multi', node: live, operation: 'GetObject' }), 1);
    assert.equal(sample(text, 's3prober_operation_failures_total', { target: 'multi', node: live }), undefined, 'the live node shows no failure');
    assert.ok(sample(text, 's3prober_operation_failures_total', { target: 'multi', node: down, operation: 'CreateBucket', reason: 'connection_refused' })! >= 1);
    assert.equal(sample(text, 's3prober_target_nodes', { target: 'multi', state: 'found' }), 2);
    assert.equal(sample(text, 's3prober_target_nodes', { target: 'multi', state: 'probed' }), 2);

    await recorder.removeNode('multi', down);
    const after = await recorder.registry.metrics();
    assert.equal(after.includes(`node="${down}"`), false, 'a forgotten node leaves no series');
    assert.equal(sample(after, 's3prober_cycle_success', { target: 'multi', node: live }), 1);
  } finally {
    runner.destroy();
  }
});

test('a target without nodes has no node label', async () => {
  const config = parseConfig(stringify({ targets: [targetYaml({ name: 'plain', objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'nodes-plain' } } })] }));
  const recorder = new MetricsRecorder(config, operationsOf);
  const runner = new TargetRunner(config.targets[0]!, logger, { onOperation: (r) => recorder.onOperation(r) });
  try {
    const results = await runner.runCycle();
    assert.equal(results.length, 1);
    assert.equal(results[0]!.node, undefined);
    recorder.onCycle(results[0]!);
    assert.doesNotMatch(await recorder.registry.metrics(), /node=/);
  } finally {
    runner.destroy();
  }
});
