// The deploy artifacts against real servers: the real exporter probes the test RGW (plain and
// through a TLS proxy) and a refused port; a real Prometheus scrapes it with the project's rules
// (alerts with `for:` shortened to 0s: shippedRuleFiles); a real Alertmanager with the example config (webhook
// URLs pointed at a local receiver, group_wait shortened) receives the alerts.
// Checked: every dashboard panel query returns data (the per-node dashboard's in
// node-alerts.test.ts, whose exporter has nodes), the TargetDown alert for the refused endpoint
// reaches Alertmanager and the pager receiver, and the healthy target raises nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { DURABILITY_METRICS, REPLICATION_METRICS } from '../../src/metrics/names.js';
import { startExporter, type Exporter } from '../support/exporter.js';
import { freePort, testRgw } from '../support/rgw.js';
import { expand, NODES_DASHBOARD, panelQueries } from '../support/deploy/dashboards.js';
import { waitFor } from '../support/deploy/lib.js';
import { shippedRuleFiles, startPrometheus, withData, type Prometheus } from '../support/deploy/prometheus.js';
import { startAlertmanager, type Alertmanager } from '../support/deploy/alertmanager.js';

const TARGETS = ['rgw', 'rgw-tls', 'refused'];
let dir: string;
let exporter: Exporter;
let prometheus: Prometheus;
let alertmanager: Alertmanager;
let tlsProxy: TlsServer;
let webhook: Server;
let amUrl: string;
const notifications: { receiver: string; body: { alerts: { labels: Record<string, string>; status: string }[] } }[] = [];

function listen(server: Server | TlsServer): Promise<number> {
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res((server.address() as AddressInfo).port)));
}

before(async () => {
  const rgw = testRgw();
  dir = mkdtempSync(join(tmpdir(), 's3prober-live-'));

  // A TLS-terminating proxy in front of RGW gives the HTTPS target (and a certificate expiry).
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-days', '30', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const rgwUrl = new URL(rgw.endpoint);
  tlsProxy = createTlsServer({ key: readFileSync(join(dir, 'tls.key')), cert: readFileSync(join(dir, 'tls.crt')) }, (client) => {
    const upstream = netConnect(Number(rgwUrl.port), rgwUrl.hostname);
    client.pipe(upstream).pipe(client);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on('error', close);
    upstream.on('error', close);
  });
  const tlsPort = await listen(tlsProxy);

  // Alertmanager's receivers, standing in for the pager and chat integrations.
  webhook = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      notifications.push({ receiver: req.url ?? '', body: JSON.parse(body) });
      res.end('ok');
    });
  });
  const webhookPort = await listen(webhook);

  const refusedPort = await freePort(); // nothing listens there
  const creds = { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey };
  exporter = await startExporter({
    schedule: '*/3 * * * * *',
    timeout: '10s',
    jitter: 0,
    targets: [
      // with a small durable set (kept, and reused by the next run, as durable sets are), so the
      // overview's durability row has data; a round verifies all of it
      { name: 'rgw', endpoint: rgw.endpoint, credentials: creds, bucket: { mode: 'ephemeral', prefix: 'deploy-live' }, objectSizes: ['4KiB', '5MiB'], batchSize: 3, listPageSize: 2, durability: { bucket: 'deploy-live-durable', objects: 4, verifyPerCycle: 4 } },
      { name: 'rgw-tls', endpoint: `https://127.0.0.1:${tlsPort}`, tls: { caFile: join(dir, 'tls.crt') }, credentials: creds, bucket: { mode: 'ephemeral', prefix: 'deploy-live-tls' }, objectSizes: ['4KiB'], batchSize: 2 },
      { name: 'refused', endpoint: `http://127.0.0.1:${refusedPort}`, credentials: creds, objectSizes: ['4KiB'], batchSize: 2 },
    ],
  });

  // Alertmanager: the example config, delivering to the local receiver without the 30 s wait.
  alertmanager = await startAlertmanager(dir, `http://127.0.0.1:${webhookPort}`);
  amUrl = alertmanager.url;
  // Prometheus: the project's recording rules as they are, alerts with for: 0s.
  prometheus = await startPrometheus({ dir, ruleFiles: shippedRuleFiles(dir), targets: [new URL(exporter.url).host], alertmanager: new URL(amUrl).host });
});

after(async () => {
  await Promise.allSettled([prometheus?.proc.kill(), alertmanager?.proc.kill(), exporter?.stop()]);
  tlsProxy?.close();
  webhook?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const query = (expr: string, range?: { seconds: number; step: number }) => prometheus.query(expr, range);

test('the TargetDown alert for the refused endpoint reaches Alertmanager and the pager', async () => {
  const alert = await waitFor('S3ProberTargetDown{target="refused"} in Alertmanager', async () => {
    const alerts = (await (await fetch(`${amUrl}/api/v2/alerts?filter=alertname%3D%22S3ProberTargetDown%22`)).json()) as {
      labels: Record<string, string>;
      annotations: Record<string, string>;
      receivers: { name: string }[];
      status: { state: string };
    }[];
    return alerts.find((a) => a.labels.target === 'refused');
  }, 90_000, 500);
  assert.equal(alert.labels.severity, 'critical');
  assert.equal(alert.status.state, 'active');
  assert.deepEqual(alert.receivers.map((r) => r.name), ['pager']);
  assert.match(alert.annotations.summary ?? '', /refused is down/);
  assert.match(alert.annotations.runbook_url ?? '', /runbooks\.md#s3probertargetdown$/);
  // Delivered through the example config's routing to the pager webhook.
  const delivered = await waitFor('a pager notification', async () =>
    notifications.find((n) => n.receiver === '/pager' && n.body.alerts.some((a) => a.labels.alertname === 'S3ProberTargetDown' && a.labels.target === 'refused')),
  30_000, 250);
  assert.ok(delivered);
  // The recording rules behind the SLO alerts, on real data.
  // (NaN until Prometheus has seen a target's counters move: a first cycle can be slow here.)
  const ratios = await waitFor('error ratios for every target', async () => {
    const r = await query('target:s3prober_operations_errors:ratio_rate5m >= 0');
    return r.length === TARGETS.length ? r : undefined;
  }, 60_000, 500);
  const ratio = Object.fromEntries(ratios.map((r) => [r.metric.target!, Number(r.value![1])]));
  assert.equal(ratio.refused, 1);
  // Healthy targets: not everything failing (a slow first cycle on a busy machine may fail).
  assert.ok(ratio.rgw! < 1 && ratio['rgw-tls']! < 1, JSON.stringify(ratio));
  // The failure reason behind it is the one the runbook tells to look up.
  const reasons = await query('sum by (reason) (s3prober_operation_failures_total{target="refused"}) > 0');
  assert.deepEqual(reasons.map((r) => r.metric.reason), ['connection_refused']);
});

test('the healthy targets raise no TargetDown, integrity or budget alert', async () => {
  // Both healthy targets must have completed successful cycles, seen by Prometheus.
  await waitFor('successful cycles of rgw and rgw-tls', async () => {
    const r = await query('s3prober_cycle_success{target=~"rgw|rgw-tls"} == 1');
    return r.length === 2 ? r : undefined;
  }, 60_000, 500);
  const firing = await query('ALERTS{alertstate="firing",target=~"rgw|rgw-tls"}');
  const bad = firing.filter((a) => /TargetDown|IntegrityFailure|ErrorBudgetBurn|CycleFailing/.test(a.metric.alertname ?? ''));
  assert.deepEqual(bad.map((a) => a.metric), []);
  const down = await query('ALERTS{alertname="S3ProberTargetDown",alertstate="firing"}');
  assert.deepEqual(down.map((a) => a.metric.target), ['refused']);
});

test('every dashboard panel query returns data from the real exporter', async () => {
  // Enough scrapes for rate() windows and several cycles per target.
  await waitFor('a few cycles of every target, successful ones for the healthy targets', async () => {
    const r = await query('s3prober_cycles_total');
    const count = (t: string, outcome?: string) =>
      r.filter((s) => s.metric.target === t && (!outcome || s.metric.outcome === outcome)).reduce((n, s) => n + Number(s.value![1]), 0);
    return count('refused') >= 3 && count('rgw', 'success') >= 3 && count('rgw-tls', 'success') >= 3 ? true : undefined;
  }, 120_000, 1000);
  // rate() windows of the panels need observations Prometheus saw happen, not only counters.
  await waitFor('recent observations of both healthy targets', async () => {
    const r = await query('sum by (target) (increase(s3prober_operation_duration_seconds_count{target=~"rgw|rgw-tls"}[10s])) > 0');
    return r.length === 2 ? true : undefined;
  }, 60_000, 500);
  // The durable set's panels need a full pass over it: on a fresh store the first round writes
  // the set, a later one verifies it all.
  await waitFor('a full pass over the durable set', async () => {
    const r = await query(`${DURABILITY_METRICS.lastFullPass}{target="rgw"} > 0`);
    return r.length === 1 ? true : undefined;
  }, 60_000, 500);
  const empty: string[] = [];
  // The per-node dashboard is node-alerts.test.ts's (its exporter has nodes); the replication row
  // needs two sites (test/replication/multisite.test.ts checks those families on /metrics).
  const replication = Object.values(REPLICATION_METRICS);
  for (const q of panelQueries().filter((x) => x.dashboard !== NODES_DASHBOARD && !replication.some((m) => x.expr.includes(m)))) {
    // The overview runs across all targets; a drill-down panel must show data for at least one
    // of them (a failures panel is empty for a healthy target, as it should be).
    const choices = q.dashboard === 's3prober-overview' ? [TARGETS.join('|')] : TARGETS;
    let ok = false;
    for (const target of choices) {
      const expr = expand(q.expr, { rateInterval: '10s', range: '60s', vars: { target, operation: '.+', datasource: '' } });
      const rs = q.instant ? await query(expr) : await query(expr, { seconds: 60, step: 2 });
      if (withData(rs).length > 0) {
        ok = true;
        break;
      }
    }
    if (!ok) empty.push(`${q.dashboard} / ${q.panel} / ${q.refId}: ${q.expr}`);
  }
  if (empty.length > 0) {
    // Context for a failure: what the exporter did meanwhile.
    const outcomes = await query('sum by (target, outcome) (s3prober_operations_total)');
    const cycles = await query('s3prober_cycles_total');
    empty.push(`operations: ${JSON.stringify(outcomes.map((r) => [r.metric.target, r.metric.outcome, r.value![1]]))}`);
    empty.push(`cycles: ${JSON.stringify(cycles.map((r) => [r.metric.target, r.metric.outcome, r.value![1]]))}`);
    empty.push(`exporter log tail: ${exporter.proc.output().slice(-1500)}`);
  }
  assert.deepEqual(empty, [], 'panel queries without data');
});
