// A real Prometheus evaluating the shipped rules, and a real Alertmanager with the example config,
// on loopback, for the deploy tests (test/deploy/*, test/unit/deploy/*). Not a test file itself.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { spawnProc, type Proc } from '../proc.js';
import { freePort } from '../rgw.js';
import { repoPath } from './lib.js';

export interface Running {
  url: string;
  proc: Proc;
}

/** The shipped alerts file with every `for:` set to `forDuration`, written into dir; returns its
 *  path. A test cannot wait the production durations (minutes); the expressions, labels and
 *  annotations stay as shipped, and the recording rules are loaded untouched. */
function alertsWithFor(dir: string, forDuration: string): string {
  const alerts = parse(readFileSync(repoPath('deploy', 'prometheus', 's3prober.alerts.yml'), 'utf8')) as {
    groups: { rules: { for?: string }[] }[];
  };
  for (const g of alerts.groups) for (const r of g.rules) if (r.for) r.for = forDuration;
  const file = join(dir, 'alerts.yml');
  writeFileSync(file, stringify(alerts));
  return file;
}

export interface PrometheusOptions {
  /** host:port of each exporter, scraped as job s3prober every second. */
  scrape: string[];
  /** `for:` of every alert (alertsWithFor); default 0s. */
  alertFor?: string;
  /** host:port of an Alertmanager to send alerts to. */
  alertmanager?: string;
}

/** Prometheus with the project's recording rules and alerts, evaluating every second; its data in dir. */
export async function startPrometheus(dir: string, o: PrometheusOptions): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'prometheus.yml'), stringify({
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [repoPath('deploy', 'prometheus', 's3prober.rules.yml'), alertsWithFor(dir, o.alertFor ?? '0s')],
    ...(o.alertmanager ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [o.alertmanager] }] }] } } : {}),
    scrape_configs: [{ job_name: 's3prober', static_configs: [{ targets: o.scrape }] }],
  }));
  const proc = spawnProc('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--rules.alert.resend-delay=1s',
  ]);
  await proc.waitForUrl(`${url}/-/ready`, 30_000);
  return { url, proc };
}

/** Alertmanager with the example config: its webhook URLs pointed at `webhook` (a base URL),
 *  group_wait shortened to 1s; state in dir. */
export async function startAlertmanager(dir: string, webhook: string): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = readFileSync(repoPath('deploy', 'alertmanager', 'alertmanager.yml'), 'utf8')
    .replaceAll('http://alert-receiver.example.internal:5001', webhook)
    .replace(/group_wait: \S+/, 'group_wait: 1s');
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  const proc = spawnProc('prometheus-alertmanager', [
    `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=',
  ]);
  await proc.waitForUrl(`${url}/-/ready`, 30_000);
  return { url, proc };
}

export interface PromResult {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

/** An instant query, or a range query over the last `range.seconds`. */
export async function promQuery(promUrl: string, expr: string, range?: { seconds: number; step: number }): Promise<PromResult[]> {
  const now = Date.now() / 1000;
  const url = range
    ? `${promUrl}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${now - range.seconds}&end=${now}&step=${range.step}`
    : `${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const r = (await (await fetch(url)).json()) as { status: string; error?: string; data: { result: PromResult[] } };
  if (r.status !== 'success') throw new Error(`${expr}: ${r.error}`);
  return r.data.result;
}

/** Series that have at least one real (non-NaN) value. */
export const withData = (rs: PromResult[]): PromResult[] =>
  rs.filter((s) => (s.values ?? (s.value ? [s.value] : [])).some(([, v]) => v !== 'NaN'));
