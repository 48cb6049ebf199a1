// The latency-outlier and anomaly alerts, live: the real exporter probes two targets whose nodes
// are fault proxies in front of the test RGW (one port per target on 127.0.0.x), and a real
// Prometheus evaluates the shipped rules against it (alerts' `for:` shortened to 0s in a test copy).
// - peers: four nodes, one 400 ms slow at GetObject and PutObject: S3ProberNodeLatencyOutlier for
//   that node and those operations only; S3ProberNodeDown for none (it succeeds, slowly).
// - history: three nodes 100 ms away. Before Prometheus starts, a day of their history at the
//   latency the exporter measures then is backfilled with promtool (the exporter's own series,
//   then the shipped recording rules evaluated over it: support/deploy/history.ts). Then one node
//   becomes 300 ms slower and one fails half of its writes and reads: S3ProberLatencyAnomaly
//   (baseline 1d) fires for the slow one, S3ProberErrorRatioAnomaly for the failing one, neither
//   for the steady control, and the 1w baseline never (its guard wants 3 days of history).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROBER_METRICS as M } from '../../src/metrics/names.js';
import { startExporter, type Exporter } from '../support/exporter.js';
import { nextCycles, startNodeProxies, type NodeProxies } from '../support/nodes.js';
import { s3Client, testRgw } from '../support/rgw.js';
import { repoPath, waitFor } from '../support/deploy/lib.js';
import { backfill, openMetricsHistory, parseSamples, ruleLevels, type HistoryFamily, type Sample } from '../support/deploy/history.js';
import { shippedRuleFiles, startPrometheus, type Prometheus } from '../support/deploy/prometheus.js';

const HOUR = 3600;
/** Probe runs of each operation per history step: one cycle every 15 s. */
const RUNS_PER_STEP = 4;
const STEP = 60;
/** The history's latency swings ±30% over an hour around what the node measures: a baseline with
 *  a spread, so the control's own noise stays well inside it. */
const SWING = 0.3;
const SLOWED = ['GetObject', 'PutObject'];
/** The history's series are an earlier run's, scraped under another address: the live exporter's
 *  counters start new series, so its first scrape is no increase over the history's last value
 *  (rules aggregate the instance away, so the baselines run on from the history). */
const EARLIER_RUN = { job: 's3prober', instance: 'earlier-run.invalid:9340' };

let dir: string;
let exporter: Exporter;
let prometheus: Prometheus;
const nodeSets: NodeProxies[] = [];
let slowPeer: string;
let control: string;
let slow: string;
let failing: string;
let s3: S3Client;
const buckets: string[] = [];

before(async () => {
  const rgw = testRgw();
  dir = mkdtempSync(join(tmpdir(), 's3prober-anomaly-alerts-'));
  const peers = await startNodeProxies(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'], rgw.endpoint);
  const hist = await startNodeProxies(['127.0.0.6', '127.0.0.7', '127.0.0.8'], rgw.endpoint);
  nodeSets.push(peers, hist);
  // The slow nodes come first: a target's node cycles start spread over the interval, and its
  // next cycle waits for the last of them.
  slowPeer = peers.labels[0]!;
  peers.proxies.get('127.0.0.2')!.setFault({ kind: 'delay', ms: 400, match: { operation: SLOWED } });
  [slow, failing, control] = hist.labels as [string, string, string];
  for (const p of hist.proxies.values()) p.setFault({ kind: 'delay', ms: 100 });
  const creds = { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey };
  // A bucket of their own, and few operations a cycle: no bucket creation or listing of buckets
  // (RGW's slowest steps under load) whose noise could pass for an outlier.
  s3 = s3Client(rgw);
  const target = async (name: string, port: number, addresses: string[]) => {
    const bucket = `anomaly-alerts-${name}-${Date.now().toString(36)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    buckets.push(bucket);
    return {
      name, endpoint: `http://s3.anomaly-alerts.invalid:${port}`, credentials: creds, // never resolved: the nodes are listed
      bucket: { mode: 'fixed', name: bucket }, objectSizes: ['4KiB'], batchSize: 2, steps: { listBuckets: false }, nodes: addresses,
    };
  };
  exporter = await startExporter({
    schedule: '*/4 * * * * *',
    timeout: '10s',
    jitter: 0,
    targets: [await target('peers', peers.port, [...peers.proxies.keys()]), await target('history', hist.port, [...hist.proxies.keys()])],
  });
  const scraped = parseSamples(await nextCycles(exporter, 'history', hist.labels, 2));
  const now = Math.floor(Date.now() / 1000);
  const times: number[] = [];
  for (let t = now - 26 * HOUR; t < now - STEP; t += STEP) times.push(t);
  await backfill(
    dir,
    openMetricsHistory(steadyHistory(scraped.filter((s) => s.labels.target === 'history'), EARLIER_RUN), times),
    ruleLevels(repoPath('deploy', 'prometheus', 's3prober.rules.yml'), ['s3prober.nodes', 's3prober.baselines']),
    times[0]! + 5 * 60, times.at(-1)!,
  );
  // The change the history never saw.
  hist.proxies.get('127.0.0.6')!.setFault({ kind: 'delay', ms: 400 });
  hist.proxies.get('127.0.0.7')!.setFault([
    { kind: 'status', status: 500, probability: 0.5, match: { operation: SLOWED } },
    { kind: 'delay', ms: 100 },
  ]);
  prometheus = await startPrometheus({ dir, ruleFiles: shippedRuleFiles(dir), targets: [new URL(exporter.url).host] });
});

after(async () => {
  await Promise.allSettled([prometheus?.kill(), exporter?.stop(), ...nodeSets.map((n) => n.close())]);
  if (dir) rmSync(dir, { recursive: true, force: true });
  try {
    for (const Bucket of buckets) await emptyAndRemove(s3, Bucket);
  } finally {
    s3?.destroy();
  }
});

/** What a cycle stopped midway left in the bucket, then the bucket. */
async function emptyAndRemove(client: S3Client, Bucket: string): Promise<void> {
  const { Contents = [] } = await client.send(new ListObjectsV2Command({ Bucket }));
  if (Contents.length > 0) await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: Contents.map((o) => ({ Key: o.Key! })) } }));
  await client.send(new DeleteBucketCommand({ Bucket }));
}

/** A steady, healthy day of the scraped series: every operation succeeding RUNS_PER_STEP times a
 *  step at the mean latency the node measured for it in the scrape (swinging by SWING), nothing
 *  failing or skipped. */
function steadyHistory(scraped: Sample[], extra: Record<string, string>): HistoryFamily[] {
  const key = (l: Record<string, string>) => `${l.node} ${l.operation} ${l.size}`;
  const count = new Map(scraped.filter((s) => s.name === `${M.opDuration}_count`).map((s) => [key(s.labels), s.value]));
  const mean = new Map(scraped.filter((s) => s.name === `${M.opDuration}_sum`).map((s) => [key(s.labels), s.value / count.get(key(s.labels))!]));
  const latency = (l: Record<string, string>, t: number) => mean.get(key(l))! * (1 + SWING * Math.sin((2 * Math.PI * t) / HOUR));
  const of = (name: string) => scraped.filter((s) => s.name === name).map((s) => ({ name, labels: { ...s.labels, ...extra } }));
  const histogram = [
    ...of(`${M.opDuration}_bucket`).map((s) => ({ ...s, increase: (t: number) => (latency(s.labels, t) <= Number(s.labels.le) ? RUNS_PER_STEP : 0) })),
    ...of(`${M.opDuration}_sum`).map((s) => ({ ...s, increase: (t: number) => RUNS_PER_STEP * latency(s.labels, t) })),
    ...of(`${M.opDuration}_count`).map((s) => ({ ...s, increase: () => RUNS_PER_STEP })),
  ];
  assert.ok(mean.size >= 3 * 3, `latencies of the history's nodes: ${[...mean.keys()].join(', ')}`);
  for (const [k, v] of mean) assert.ok(v > 0.1, `${k}: ${v} s, without the 100 ms the proxy adds`);
  return [
    { family: M.opDuration, type: 'histogram', series: histogram },
    { family: M.opTotal.replace(/_total$/, ''), type: 'counter', series: of(M.opTotal).map((s) => ({ ...s, increase: () => (s.labels.outcome === 'success' ? RUNS_PER_STEP : 0) })) },
    { family: M.opFailures.replace(/_total$/, ''), type: 'counter', series: of(M.opFailures).map((s) => ({ ...s, increase: () => 0 })) },
  ];
}

interface ApiAlert {
  labels: Record<string, string>;
  state: string;
}

async function firing(alertname: string, target: string): Promise<ApiAlert[]> {
  const r = (await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as { data: { alerts: ApiAlert[] } };
  return r.data.alerts.filter((a) => a.state === 'firing' && a.labels.alertname === alertname && a.labels.target === target);
}

const nodeOps = (alerts: ApiAlert[]) => alerts.map((a) => `${a.labels.node} ${a.labels.operation}`).sort();

test('S3ProberNodeLatencyOutlier fires for the slow node at the slowed operations only; NodeDown does not', async () => {
  const want = SLOWED.map((op) => `${slowPeer} ${op}`).sort();
  await waitFor('S3ProberNodeLatencyOutlier for the slowed operations', async () => {
    const a = await firing('S3ProberNodeLatencyOutlier', 'peers');
    return want.every((w) => nodeOps(a).includes(w)) ? a : undefined;
  }, 120_000, 1000);
  // Exactly those, once every node has a dozen of each operation in the window: with fewer, its
  // p90 is its slowest run, and one run slowed by a busy machine makes any node an outlier.
  await waitFor('12 runs of each operation of each node in Prometheus', async () => {
    const r = await prometheus.query(`min(increase(${M.opDuration}_count{target="peers"}[15m])) >= 12`);
    return r.length > 0 ? true : undefined;
  }, 180_000, 1000);
  assert.deepEqual(nodeOps(await firing('S3ProberNodeLatencyOutlier', 'peers')), want);
  // What the alert compared, as Prometheus has it: the slow node's p90 against the median of four.
  const ratio = await prometheus.query(`target_node_operation:s3prober_operation_duration_seconds:p90_rate15m_peer_ratio{target="peers",operation="GetObject"}`);
  const byNode = Object.fromEntries(ratio.map((r) => [r.metric.node!, Number(r.value![1])]));
  assert.equal(Object.keys(byNode).length, 4, JSON.stringify(byNode));
  assert.ok(byNode[slowPeer]! > 3, JSON.stringify(byNode));
  assert.deepEqual(await firing('S3ProberNodeDown', 'peers'), []);
});

test('anomaly against a backfilled day: latency for the slow node, error ratio for the failing one, nothing for the control', async () => {
  // The baseline is there, old enough for the guard, and near what the control measures now.
  const base = await prometheus.query(`target_node_operation:s3prober_operation_duration_seconds:mean_rate5m_avg1d{target="history",operation="GetObject"} offset 12h`);
  assert.deepEqual(base.map((r) => r.metric.node).sort(), [control, slow, failing].sort());
  // ... and it is the shipped rule's evaluation of the backfilled day, not a value written in.
  const again = await prometheus.query(`avg by (target, node, operation) (avg_over_time(target_node_operation:s3prober_operation_duration_seconds:mean_rate5m{target="history",operation="GetObject"}[1d] offset 12h))`);
  const near = (a: number, b: number) => Math.abs(a - b) <= 0.01 * b;
  for (const b of base) {
    const a = again.find((r) => r.metric.node === b.metric.node);
    assert.ok(a && near(Number(b.value![1]), Number(a.value![1])), `${b.metric.node}: ${b.value![1]} against ${JSON.stringify(a?.value)}`);
  }
  const latency = await waitFor('S3ProberLatencyAnomaly for the slow node', async () => {
    const a = await firing('S3ProberLatencyAnomaly', 'history');
    return SLOWED.every((op) => nodeOps(a).includes(`${slow} ${op}`)) ? a : undefined;
  }, 180_000, 1000);
  const errors = await waitFor('S3ProberErrorRatioAnomaly for the failing node', async () => {
    const a = await firing('S3ProberErrorRatioAnomaly', 'history');
    return nodeOps(a).includes(`${failing} PutObject`) ? a : undefined;
  }, 180_000, 1000);
  // Read again after both fired: the control never shows, the slow node does not fail, and the
  // week's baseline waits for its 3 days of history.
  const all = [...await firing('S3ProberLatencyAnomaly', 'history'), ...await firing('S3ProberErrorRatioAnomaly', 'history'), ...latency, ...errors];
  const failures = await prometheus.query(`sum by (node, operation, reason) (s3prober_operation_failures_total{target="history"}) > 0`);
  const why = JSON.stringify(failures.map((r) => [r.metric.node, r.metric.operation, r.metric.reason, r.value![1]]));
  assert.deepEqual(all.filter((a) => a.labels.node === control).map((a) => a.labels), [], `no anomaly for the control; failures: ${why}\n${exporter.proc.output().slice(-1500)}`);
  assert.deepEqual(all.filter((a) => a.labels.alertname === 'S3ProberErrorRatioAnomaly' && a.labels.node !== failing).map((a) => a.labels), []);
  assert.deepEqual(all.filter((a) => a.labels.baseline !== '1d').map((a) => a.labels), [], 'no 1w baseline from a day of history');
  // The control measures what its history says, within the spread.
  const z = await prometheus.query(`(target_node_operation:s3prober_operation_duration_seconds:mean_rate5m - target_node_operation:s3prober_operation_duration_seconds:mean_rate5m_avg1d) / target_node_operation:s3prober_operation_duration_seconds:mean_rate5m_stddev1d`);
  const controlZ = z.filter((r) => r.metric.target === 'history' && r.metric.node === control).map((r) => Number(r.value![1]));
  assert.ok(controlZ.length > 0 && controlZ.every((v) => Math.abs(v) < 3), JSON.stringify(controlZ));
});
