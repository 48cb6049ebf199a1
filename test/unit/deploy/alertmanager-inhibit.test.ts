// The example Alertmanager config's inhibit rules, in a real Alertmanager: alerts posted to its
// API come back muted (status.inhibitedBy) exactly where the config says, by target and node.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../support/deploy/lib.js';
import { startAlertmanager, type Alertmanager } from '../../support/deploy/alertmanager.js';

let dir: string;
let am: Alertmanager;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 's3prober-am-'));
  // Nothing listens at the webhook: notifications fail, inhibition does not depend on them.
  am = await startAlertmanager(dir, 'http://127.0.0.1:9');
});

after(async () => {
  await am?.proc.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Labels = Record<string, string>;
const alert = (alertname: string, severity: string, labels: Labels): Labels => ({ alertname, severity, ...labels });

test('target down mutes its node alerts; a node down mutes its own outlier and anomalies, not its peers\'', async () => {
  const posted = [
    alert('S3ProberTargetDown', 'critical', { target: 'all' }),
    alert('S3ProberNodeDown', 'warning', { target: 'all', node: '10.0.0.1:80' }),
    alert('S3ProberNodeDown', 'warning', { target: 'lb', node: '10.0.1.1:80' }),
    alert('S3ProberNodeLatencyOutlier', 'warning', { target: 'lb', node: '10.0.1.1:80', operation: 'GetObject' }),
    alert('S3ProberNodeLatencyOutlier', 'warning', { target: 'lb', node: '10.0.1.2:80', operation: 'GetObject' }),
    alert('S3ProberErrorRatioAnomaly', 'warning', { target: 'lb', node: '10.0.1.1:80', operation: 'PutObject', baseline: '1d' }),
    alert('S3ProberLatencyAnomaly', 'warning', { target: 'lb', node: '10.0.1.2:80', operation: 'PutObject', baseline: '1d' }),
    alert('S3ProberHighLatency', 'warning', { target: 'slow', operation: 'GetObject' }),
    alert('S3ProberLatencyAnomaly', 'warning', { target: 'slow', operation: 'GetObject', baseline: '1w' }),
    alert('S3ProberLatencyAnomaly', 'warning', { target: 'slow', operation: 'PutObject', baseline: '1w' }),
    alert('S3ProberErrorBudgetBurn', 'warning', { target: 'burn', long_window: '1d', short_window: '2h' }),
    alert('S3ProberErrorRatioAnomaly', 'warning', { target: 'burn', operation: 'PutObject', baseline: '1d' }),
  ];
  const endsAt = new Date(Date.now() + 600_000).toISOString();
  const r = await fetch(`${am.url}/api/v2/alerts`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(posted.map((labels) => ({ labels, annotations: {}, endsAt }))),
  });
  assert.equal(r.status, 200, await r.text());
  const key = (l: Labels) => [l.alertname, l.target, l.node ?? '', l.operation ?? ''].join(' ');
  const got = await waitFor('every posted alert back from the API', async () => {
    const as = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as { labels: Labels; status: { inhibitedBy: string[] } }[];
    return as.length === posted.length ? as : undefined;
  }, 10_000, 100);
  const muted = got.filter((a) => a.status.inhibitedBy.length > 0).map((a) => key(a.labels)).sort();
  assert.deepEqual(muted, [
    'S3ProberErrorRatioAnomaly burn  PutObject',
    'S3ProberErrorRatioAnomaly lb 10.0.1.1:80 PutObject',
    'S3ProberLatencyAnomaly slow  GetObject',
    'S3ProberNodeDown all 10.0.0.1:80 ',
    'S3ProberNodeLatencyOutlier lb 10.0.1.1:80 GetObject',
  ]);
});
