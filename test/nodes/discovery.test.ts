// `nodes: discover` through a real DNS server (dnsmasq on loopback, the target's `resolver`): nodes
// appear as records are added, maxNodes caps what is probed, a node gone from DNS keeps its series
// for nodeGrace and no longer, and a DNS failure is counted while the nodes last chosen go on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROBER_METRICS as M } from '../../src/metrics/names.js';
import { startDns, type TestDns } from '../support/dns.js';
import { sample, startExporter, type Exporter } from '../support/exporter.js';
import { cyclesOf, nextCycles, nodeLabelsByFamily, startNodeProxies } from '../support/nodes.js';
import { testRgw } from '../support/rgw.js';
import { targetYaml } from '../support/targets.js';

const TARGET = 'rr';
const NAME = 's3.nodes.test';
const GRACE_MS = 10_000;

test('discovery through dnsmasq: records added and removed, maxNodes, nodeGrace, DNS down', async () => {
  const nodes = await startNodeProxies(['127.0.0.2', '127.0.0.3', '127.0.0.4'], testRgw().endpoint);
  const [n2, n3, n4] = nodes.labels as [string, string, string];
  let dns: TestDns | undefined = await startDns({ [NAME]: ['127.0.0.2'] });
  let exp: Exporter | undefined;
  const has = (text: string, node: string) => text.includes(`node="${node}"`);
  const count = (text: string, state: string) => sample(text, M.targetNodes, { target: TARGET, state });
  try {
    exp = await startExporter({
      schedule: '*/1 * * * * *', jitter: '0s', ebpf: { enabled: false },
      targets: [targetYaml({
        name: TARGET, endpoint: `http://${NAME}:${nodes.port}`, objectSizes: ['4KiB'],
        extra: {
          bucket: { mode: 'ephemeral', prefix: 'nodes-dns' }, batchSize: 2, listPageSize: 1, timeout: '3s',
          nodes: 'discover', resolver: dns.address, maxNodes: 2, nodeGrace: `${GRACE_MS / 1000}s`,
        },
      })],
    });
    await exp.waitReady(60_000);
    let text = await nextCycles(exp, TARGET, [n2], 1);
    assert.equal(sample(text, M.cycleSuccess, { target: TARGET, node: n2 }), 1, exp.proc.output().slice(-2000));
    assert.deepEqual([count(text, 'found'), count(text, 'probed')], [1, 1]);
    assert.equal(sample(text, M.discoveryFailures, { target: TARGET }), 0);
    assert.ok(nodeLabelsByFamily(text, TARGET).has(M.discoveryFailures));
    assert.ok(!has(text, n3) && !has(text, n4));

    // two more records: one more node probed, the third found but over maxNodes
    await dns.setRecords({ [NAME]: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] });
    text = await nextCycles(exp, TARGET, [n3], 1);
    text = await nextCycles(exp, TARGET, [n2, n3], 1);
    assert.deepEqual([count(text, 'found'), count(text, 'probed')], [3, 2]);
    assert.equal(sample(text, M.cycleSuccess, { target: TARGET, node: n3 }), 1);
    assert.ok(!has(text, n4), `${n4} is over maxNodes: never probed`);

    // 127.0.0.2 leaves DNS: 127.0.0.4 takes its place; 127.0.0.2's series stay for nodeGrace.
    // Two more cycles of it: the round of the second began after `seen`, so its discovery saw
    // 127.0.0.2 after `seen` (rounds never overlap), and before the records changed.
    const seen = Date.now();
    await nextCycles(exp, TARGET, [n2], 2);
    await dns.setRecords({ [NAME]: ['127.0.0.3', '127.0.0.4'] });
    text = await nextCycles(exp, TARGET, [n4], 1);
    const elapsed = Date.now() - seen;
    assert.ok(elapsed < GRACE_MS, `the test's premise: a round without it ran within nodeGrace (${elapsed} ms)`);
    assert.deepEqual([count(text, 'found'), count(text, 'probed')], [2, 2]);
    assert.equal(sample(text, M.cycleSuccess, { target: TARGET, node: n2 }), 1, `${n2}'s series stay during its grace`);
    const n2Cycles = cyclesOf(text, TARGET, n2);

    // DNS down, while 127.0.0.2 is still in its grace: failures counted, the nodes last chosen
    // (not 127.0.0.2) probed on, the node counts as they were
    const failuresBefore = sample(text, M.discoveryFailures, { target: TARGET })!;
    const dnsPort = dns.port;
    await dns.stop();
    dns = undefined;
    text = await nextCycles(exp, TARGET, [n3, n4], 2);
    const failures = sample(text, M.discoveryFailures, { target: TARGET })!;
    assert.ok(failures >= failuresBefore + 2, `discovery failures counted: ${failuresBefore} -> ${failures}`);
    assert.equal(cyclesOf(text, TARGET, n2), n2Cycles, `${n2}, gone from DNS, is not probed while DNS fails`);
    assert.deepEqual([count(text, 'found'), count(text, 'probed')], [2, 2]);
    for (const n of [n3, n4]) assert.equal(sample(text, M.cycleSuccess, { target: TARGET, node: n }), 1, n);
    assert.match(exp.proc.output(), /node discovery failed, probing the nodes last seen/);

    // DNS back: 127.0.0.2's series go once its grace is over, the others' stay
    dns = await startDns({ [NAME]: ['127.0.0.3', '127.0.0.4'] }, { port: dnsPort });
    text = await nextCycles(exp, TARGET, [n3, n4], 2);
    const failuresAfter = sample(text, M.discoveryFailures, { target: TARGET })!;
    const end = Date.now() + GRACE_MS + 60_000;
    while (has(text, n2)) {
      assert.ok(Date.now() < end, `${n2}'s series never left:\n${exp.proc.output().slice(-2000)}`);
      await sleep(250);
      text = (await exp.metrics()).text;
    }
    assert.ok(Date.now() - seen > GRACE_MS, 'not before its grace was over');
    text = await nextCycles(exp, TARGET, [n3, n4], 1);
    assert.ok(!has(text, n2), `${n2} stays gone`);
    assert.equal(sample(text, M.discoveryFailures, { target: TARGET }), failuresAfter, 'discovery works again');
    assert.deepEqual([count(text, 'found'), count(text, 'probed')], [2, 2]);
    for (const n of [n3, n4]) assert.equal(sample(text, M.cycleSuccess, { target: TARGET, node: n }), 1, n);
  } finally {
    await exp?.stop();
    await dns?.stop();
    await nodes.close();
  }
});
