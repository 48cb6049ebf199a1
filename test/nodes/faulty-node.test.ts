// One RGW behind three "nodes" (fault proxies on 127.0.0.2-4, one port), probed by the real
// exporter through a name that resolves nowhere: the faulty node (throttling, then resetting, then
// slow) colours only its own series; the others stay green, and the target's own checks (the
// durable set) are not failed by it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DURABILITY_METRICS, PROBER_METRICS as M } from '../../src/metrics/names.js';
import { sample, startExporter, type Exporter } from '../support/exporter.js';
import type { Fault } from '../support/fault-proxy.js';
import { nextCycles, nodeLabelsByFamily, nodeSeries, startNodeProxies } from '../support/nodes.js';
import { testRgw } from '../support/rgw.js';
import { targetYaml } from '../support/targets.js';

const TARGET = 'gw';
const SLOW_MS = 2000;

/** A good node: its last cycle and every operation green, no failure counted ever. */
function assertGreen(text: string, node: string, phase: string): void {
  assert.equal(sample(text, M.cycleSuccess, { target: TARGET, node }), 1, `${phase}: ${node}'s cycle`);
  const ops = nodeSeries(text, M.opSuccess, TARGET, node);
  assert.ok(ops.length >= 8, `${phase}: ${node} has its operations`);
  for (const s of ops) assert.equal(s.value, 1, `${phase}: ${s.line}`);
  for (const op of ['CreateBucket', 'ListBuckets', 'DeleteBucket']) {
    assert.equal(sample(text, M.opSuccess, { target: TARGET, node, operation: op }), 1, `${phase}: ${node} ${op}`);
  }
  assert.deepEqual(nodeSeries(text, M.opFailures, TARGET, node), [], `${phase}: ${node} counted no failure`);
}

/** The durable set, checked once a round through the target: never failed by the bad node. */
function assertDurableSetGreen(text: string, phase: string): void {
  for (const l of text.split('\n').filter((l) => l.startsWith(`${DURABILITY_METRICS.failures}{`))) {
    assert.ok(l.endsWith(' 0'), `${phase}: ${l}`);
  }
  assert.equal(sample(text, DURABILITY_METRICS.objects, { target: TARGET, state: 'ok' }), 2, `${phase}: durable set intact`);
}

test('three nodes, one throttling, resetting, then slow: only its own series show it', async () => {
  const nodes = await startNodeProxies(['127.0.0.2', '127.0.0.3', '127.0.0.4'], testRgw().endpoint);
  const [bad, ...good] = nodes.labels as [string, ...string[]];
  const badProxy = nodes.proxies.get('127.0.0.2')!;
  let exp: Exporter | undefined;
  try {
    exp = await startExporter({
      schedule: '*/1 * * * * *', jitter: '0s', ebpf: { enabled: false },
      targets: [targetYaml({
        name: TARGET, endpoint: `http://s3.nodes.invalid:${nodes.port}`, objectSizes: ['4KiB'],
        extra: {
          bucket: { mode: 'ephemeral', prefix: 'nodes-faulty' }, batchSize: 2, listPageSize: 1, timeout: '5s',
          nodes: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
          durability: { bucket: 'nodes-faulty-durable', objects: 2, verifyPerCycle: 2 },
        },
      })],
    });
    await exp.waitReady(60_000);
    let text = await nextCycles(exp, TARGET, nodes.labels, 1);
    for (const n of nodes.labels) assertGreen(text, n, 'no fault');
    assert.equal(sample(text, M.targetNodes, { target: TARGET, state: 'found' }), 3);
    assert.equal(sample(text, M.targetNodes, { target: TARGET, state: 'probed' }), 3);

    // a family of the target as a whole never carries node; every other family of it does
    const families = nodeLabelsByFamily(text, TARGET);
    for (const f of [M.targetInfo, M.targetNodes, M.cyclesSkipped, M.cycleStartDelay, M.cycleSuccess, M.opDuration]) {
      assert.ok(families.has(f), `${f} exported for the target`);
    }

    const phases: { name: string; fault: Fault; check(text: string): void }[] = [
      {
        name: 'throttling', fault: { kind: 'status', status: 503 }, // every request: 503 SlowDown
        check(t) {
          assert.equal(sample(t, M.cycleSuccess, { target: TARGET, node: bad }), 0);
          assert.equal(sample(t, M.opSuccess, { target: TARGET, node: bad, operation: 'CreateBucket' }), 0);
          assert.ok(sample(t, M.opFailures, { target: TARGET, node: bad, operation: 'CreateBucket', reason: 'throttled' })! >= 1);
          assert.deepEqual([...new Set(nodeSeries(t, M.opFailures, TARGET, bad).map((s) => /reason="([^"]+)"/.exec(s.line)![1]))], ['throttled']);
        },
      },
      {
        name: 'resetting', fault: { kind: 'reset-request', match: { operation: 'GetObject' } },
        check(t) {
          assert.equal(sample(t, M.cycleSuccess, { target: TARGET, node: bad }), 0);
          assert.equal(sample(t, M.opSuccess, { target: TARGET, node: bad, operation: 'GetObject' }), 0);
          assert.ok(sample(t, M.opFailures, { target: TARGET, node: bad, operation: 'GetObject', reason: 'connection_reset' })! >= 1);
          // the node's bucket steps are not failed by its data fault
          for (const op of ['CreateBucket', 'PutObject', 'DeleteBucket']) assert.equal(sample(t, M.opSuccess, { target: TARGET, node: bad, operation: op }), 1, op);
        },
      },
      {
        name: 'slow', fault: { kind: 'delay', ms: SLOW_MS, match: { operation: 'HeadObject' } },
        check(t) {
          // slow is not failed: the node's cycle succeeds, its HeadObject shows the hold
          assert.equal(sample(t, M.cycleSuccess, { target: TARGET, node: bad }), 1);
          assert.ok(sample(t, M.opLast, { target: TARGET, node: bad, operation: 'HeadObject' })! >= SLOW_MS / 1000);
          for (const n of good) assert.ok(sample(t, M.opLast, { target: TARGET, node: n, operation: 'HeadObject' })! < SLOW_MS / 1000, n);
          assert.equal(sample(t, M.opFailures, { target: TARGET, node: bad, reason: 'timeout' }), undefined);
        },
      },
    ];
    for (const phase of phases) {
      badProxy.setFault(phase.fault);
      text = await nextCycles(exp, TARGET, nodes.labels);
      assert.ok(badProxy.stats.faulted > 0, `${phase.name}: the fault hit`);
      phase.check(text);
      for (const n of good) assertGreen(text, n, phase.name);
      assertDurableSetGreen(text, phase.name);
      assert.equal(sample(text, M.targetNodes, { target: TARGET, state: 'probed' }), 3, phase.name);
    }

    badProxy.setFault(null);
    text = await nextCycles(exp, TARGET, nodes.labels);
    assert.equal(sample(text, M.cycleSuccess, { target: TARGET, node: bad }), 1, 'the node recovered');
    for (const s of nodeSeries(text, M.opSuccess, TARGET, bad)) assert.equal(s.value, 1, s.line);

    // the status page: a section per node
    const page = await (await fetch(`${exp.url}/`)).text();
    for (const n of nodes.labels) assert.ok(page.includes(`<h3>node ${n}</h3>`), `status page shows ${n}`);
  } finally {
    await exp?.stop();
    await nodes.close();
  }
});
