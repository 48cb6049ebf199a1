// The node alerts, live: the real exporter probes a target with two nodes, fault proxies in front
// of the test RGW bound to 127.0.0.2 and 127.0.0.3 on one port, the second answering every request
// with 503; a real Prometheus evaluates the shipped rules against it (alerts' `for:` shortened to
// 0s when loaded: alertsWithFor). S3ProberNodeDown fires for that node only, the target-level
// alerts do not fire per node, and every per-node dashboard panel shows data.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startExporter, type Exporter } from '../support/exporter.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { freePort, testRgw } from '../support/rgw.js';
import { expand, NODES_DASHBOARD, panelQueries } from '../support/deploy/dashboards.js';
import { waitFor } from '../support/deploy/lib.js';
import { shippedRuleFiles, startPrometheus, withData, type Prometheus } from '../support/deploy/prometheus.js';

let dir: string;
let exporter: Exporter;
let prometheus: Prometheus;
const proxies: FaultProxy[] = [];
let healthy: string;
let faulty: string;

const query = (expr: string, range?: { seconds: number; step: number }) => prometheus.query(expr, range);

before(async () => {
  const rgw = testRgw();
  dir = mkdtempSync(join(tmpdir(), 's3prober-node-alerts-'));
  // One port on two loopback addresses: the nodes of a list without ports take the endpoint's.
  const port = await freePort();
  for (const host of ['127.0.0.2', '127.0.0.3']) proxies.push(await startFaultProxy({ upstream: rgw.endpoint, host, port }));
  proxies[1]!.setFault({ kind: 'status', status: 503, code: 'ServiceUnavailable' });
  healthy = `127.0.0.2:${port}`;
  faulty = `127.0.0.3:${port}`;
  const creds = { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey };
  const endpoint = `http://s3.node-alerts.invalid:${port}`; // never resolved: the nodes are listed
  const deadDns = await freePort(); // nothing answers DNS there: discovery fails, counted
  exporter = await startExporter({
    schedule: '*/3 * * * * *',
    timeout: '5s',
    jitter: 0,
    targets: [
      { name: 'pair', endpoint, credentials: creds, bucket: { mode: 'ephemeral', prefix: 'node-alerts' }, objectSizes: ['4KiB'], batchSize: 2, nodes: ['127.0.0.2', '127.0.0.3'] },
      { name: 'lookup', endpoint, credentials: creds, bucket: { mode: 'ephemeral', prefix: 'node-alerts-dns' }, objectSizes: ['4KiB'], nodes: 'discover', resolver: `127.0.0.1:${deadDns}` },
    ],
  });
  prometheus = await startPrometheus({ dir, ruleFiles: shippedRuleFiles(dir), targets: [new URL(exporter.url).host] });
});

after(async () => {
  await Promise.allSettled([prometheus?.proc.kill(), exporter?.stop(), ...proxies.map((p) => p.close())]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface ApiAlert {
  labels: Record<string, string>;
  state: string;
}

async function firing(): Promise<ApiAlert[]> {
  const r = (await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as { data: { alerts: ApiAlert[] } };
  return r.data.alerts.filter((a) => a.state === 'firing');
}

test('S3ProberNodeDown fires for the failing node only; target-level alerts do not fire per node', async () => {
  const down = await waitFor('S3ProberNodeDown firing', async () => {
    const a = (await firing()).filter((x) => x.labels.alertname === 'S3ProberNodeDown');
    return a.length > 0 ? a : undefined;
  }, 120_000, 500);
  assert.deepEqual(down.map((a) => [a.labels.target, a.labels.node, a.labels.severity]), [['pair', faulty, 'warning']]);
  // The healthy node succeeds meanwhile, as Prometheus sees it.
  const ratios = await query('target_node:s3prober_operations_errors:ratio_rate5m{target="pair"}');
  const ratio = Object.fromEntries(ratios.map((r) => [r.metric.node!, Number(r.value![1])]));
  assert.equal(ratio[faulty], 1, JSON.stringify(ratio));
  assert.ok(ratio[healthy]! < 0.2, JSON.stringify(ratio));
  const reasons = await query(`sum by (reason) (s3prober_operation_failures_total{target="pair",node="${faulty}"}) > 0`);
  assert.deepEqual(reasons.map((r) => r.metric.reason), ['throttled']);

  const all = await firing();
  assert.deepEqual(all.filter((a) => a.labels.node === healthy).map((a) => a.labels), [], 'no alert names the healthy node');
  const pair = all.filter((a) => a.labels.target === 'pair');
  // The target as a whole: not down, its cycles not all failing; what fires for it fires once.
  assert.deepEqual(pair.filter((a) => /TargetDown|CycleFailing|Stalled/.test(a.labels.alertname!)).map((a) => a.labels), []);
  for (const a of pair.filter((x) => !x.labels.alertname!.startsWith('S3ProberNode'))) {
    assert.equal(a.labels.node, undefined, `a target-level alert per node: ${JSON.stringify(a.labels)}`);
  }
});

test('every per-node dashboard panel query returns data from the real exporter', async () => {
  await waitFor('successful cycles of the healthy node, failed ones of the faulty one', async () => {
    const r = await query('s3prober_cycles_total{target="pair"} > 2');
    return r.some((s) => s.metric.node === healthy && s.metric.outcome === 'success') && r.some((s) => s.metric.node === faulty && s.metric.outcome === 'failure') ? true : undefined;
  }, 120_000, 1000);
  // Panels over the dashboard range (subqueries at steps aligned to the clock) need the series
  // to be older than a step.
  await waitFor('20 s of the healthy node\'s status in Prometheus', async () => {
    const r = await query(`count_over_time(s3prober_cycle_success{target="pair",node="${healthy}"}[30s]) >= 20`);
    return r.length > 0 ? true : undefined;
  }, 60_000, 1000);
  await waitFor('a failed discovery seen moving', async () => {
    const r = await query('increase(s3prober_node_discovery_failures_total{target="lookup"}[30s]) > 0');
    return r.length > 0 ? true : undefined;
  }, 60_000, 1000);
  const queries = panelQueries().filter((q) => q.dashboard === NODES_DASHBOARD);
  assert.ok(queries.length >= 8, `${queries.length} queries`);
  const empty: string[] = [];
  for (const q of queries) {
    const expr = expand(q.expr, { rateInterval: '10s', range: '60s', vars: { target: 'pair|lookup', operation: '.+', datasource: '' } });
    const rs = q.instant ? await query(expr) : await query(expr, { seconds: 60, step: 2 });
    if (withData(rs).length === 0) empty.push(`${q.panel} / ${q.refId}: ${expr}`);
  }
  if (empty.length > 0) {
    const status = await query('s3prober_cycle_success{target="pair"}', { seconds: 60, step: 2 });
    empty.push(`cycle status: ${JSON.stringify(status.map((r) => [r.metric.node, r.values!.map(([, v]) => v).join('')]))}`);
    empty.push(`exporter log tail: ${exporter.proc.output().slice(-1500)}`);
  }
  assert.deepEqual(empty, [], 'panel queries without data');
  // The peer comparison: with the faulty node failing every request, the healthy node is its own
  // median (1), and the faulty node has no latency to compare.
  const peer = queries.find((q) => q.panel.startsWith('Latency against the peers'))!;
  const rs = withData(await query(expand(peer.expr, { rateInterval: '10s', range: '60s', vars: { target: 'pair', operation: '.+' } })));
  assert.deepEqual([...new Set(rs.map((r) => r.metric.node))], [healthy]);
  for (const r of rs) assert.equal(Number(r.value![1]), 1);
});
