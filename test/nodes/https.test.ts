// HTTPS per node with the test CA: each node (a TLS fault proxy on its own loopback address, one
// port) presents a certificate for the endpoint's NAME only, no IP. The requests go to the IPs and
// keep the name: SNI, Host and verification. A node whose certificate is for another name fails
// with reason tls, alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { PROBER_METRICS as M } from '../../src/metrics/names.js';
import { MetricsRecorder } from '../../src/metrics/recorder.js';
import { operationsOf } from '../../src/probes/plan.js';
import { TargetRunner } from '../../src/probes/target-runner.js';
import type { CycleResult } from '../../src/results/cycle.js';
import { makeTestCerts } from '../support/certs.js';
import { sample } from '../support/exporter.js';
import { startNodeProxies } from '../support/nodes.js';
import { testRgw } from '../support/rgw.js';
import { targetYaml } from '../support/targets.js';

const NAME = 's3.test';

test('https://s3.test with nodes as IPs: SNI, Host and verification use the name; a wrong certificate fails that node alone', async () => {
  const certs = await makeTestCerts();
  const named = await certs.issue('s3test', [NAME]);
  const other = await certs.issue('other', ['other.test']);
  const nodes = await startNodeProxies(['127.0.0.2', '127.0.0.3', '127.0.0.4'], testRgw().endpoint,
    (address) => (address === '127.0.0.4' ? other : named));
  const [n2, n3, wrong] = nodes.labels as [string, string, string];
  let runner: TargetRunner | undefined;
  try {
    const config = parseConfig(stringify({
      targets: [targetYaml({
        name: 'tls-nodes', endpoint: `https://${NAME}:${nodes.port}`, objectSizes: ['4KiB'],
        extra: {
          bucket: { mode: 'ephemeral', prefix: 'nodes-tls' }, batchSize: 2, listPageSize: 1, timeout: '5s',
          tls: { caFile: certs.ca.certPath }, nodes: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
        },
      })],
    }));
    const recorder = new MetricsRecorder(config, operationsOf);
    runner = new TargetRunner(config.targets[0]!, pino({ level: 'silent' }), {
      onOperation: (r) => recorder.onOperation(r),
      onCertificate: (target, d, node) => recorder.onCertificate(target, d, node),
    });
    const results = await runner.runCycle();
    for (const r of results) recorder.onCycle(r);
    const by: Record<string, CycleResult> = Object.fromEntries(results.map((r) => [r.node, r]));
    assert.deepEqual(Object.keys(by).sort(), [...nodes.labels].sort());

    for (const n of [n2, n3]) {
      assert.equal(by[n]!.success, true, JSON.stringify(by[n]!.operations.filter((o) => o.outcome !== 'success')));
      const log = nodes.proxies.get(n.slice(0, n.lastIndexOf(':')))!.stats.log;
      assert.ok(log.length >= 8, `${n} served the cycle`);
      for (const r of log) {
        assert.equal(r.sni, NAME, `${n} ${r.operation}: SNI`);
        assert.equal(r.host, `${NAME}:${nodes.port}`, `${n} ${r.operation}: Host`);
      }
    }
    const failed = by[wrong]!.operations.filter((o) => o.outcome === 'failure');
    assert.equal(by[wrong]!.success, false);
    assert.ok(failed.length >= 1);
    for (const o of failed) {
      assert.equal(o.reason, 'tls', `${o.operation}: ${o.errorCode}`);
      // checked against the endpoint's name, not the address it connected to
      assert.equal(o.errorCode, 'ERR_TLS_CERT_ALTNAME_INVALID', o.operation);
    }
    assert.equal(nodes.proxies.get('127.0.0.4')!.stats.requests, 0, 'no request went over the rejected handshake');

    const text = await recorder.registry.metrics();
    const t = { target: 'tls-nodes' };
    assert.equal(sample(text, M.cycleSuccess, { ...t, node: n2 }), 1);
    assert.equal(sample(text, M.cycleSuccess, { ...t, node: n3 }), 1);
    assert.equal(sample(text, M.cycleSuccess, { ...t, node: wrong }), 0);
    assert.ok(sample(text, M.opFailures, { ...t, node: wrong, operation: 'CreateBucket', reason: 'tls' })! >= 1);
    for (const n of [n2, n3]) {
      assert.equal(sample(text, M.opFailures, { ...t, node: n }), undefined, `${n} counted no failure`);
      // the certificate each node presented, per node
      assert.equal(sample(text, M.certExpiry, { ...t, node: n }), Date.parse(new X509Certificate(named.cert).validTo) / 1000);
    }
    assert.equal(sample(text, M.certExpiry, { ...t, node: wrong }), undefined, 'a rejected certificate is not reported');
  } finally {
    runner?.destroy();
    await nodes.close();
    await certs.cleanup();
  }
});
