// A real Prometheus on loopback for the deploy tests: scraping given exporters with given rule
// files, evaluating every second; and a copy of a shipped alert file whose `for:` durations are
// shortened, because a test cannot wait ten minutes (the shipped files keep their own).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { spawnProc, type Proc } from '../proc.js';
import { freePort } from '../rgw.js';
import { repoPath, waitFor } from './lib.js';

export interface PromResult {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface Prometheus {
  url: string;
  proc: Proc;
  /** Replaces the exporters scraped (a file_sd file Prometheus watches). */
  setTargets(targets: string[]): void;
  /** Resolves once every rule group has been evaluated after this call. */
  evaluated(): Promise<void>;
  /** An instant query, or a range query over the last `range.seconds`. */
  query(expr: string, range?: { seconds: number; step: number }): Promise<PromResult[]>;
  kill(): Promise<unknown>;
}

export interface PrometheusOptions {
  /** Working folder: config and TSDB go there. */
  dir: string;
  ruleFiles: string[];
  /** host:port of each exporter, scraped as job "s3prober". */
  targets: string[];
  alertmanager?: string;
}

export async function startPrometheus(o: PrometheusOptions): Promise<Prometheus> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const sdFile = join(o.dir, 'targets.json');
  const setTargets = (targets: string[]) => writeFileSync(sdFile, JSON.stringify([{ targets }]));
  setTargets(o.targets);
  writeFileSync(join(o.dir, 'prometheus.yml'), stringify({
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: o.ruleFiles,
    ...(o.alertmanager ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [o.alertmanager] }] }] } } : {}),
    scrape_configs: [{ job_name: 's3prober', file_sd_configs: [{ files: [sdFile], refresh_interval: '1s' }] }],
  }));
  const proc = spawnProc('prometheus', [
    `--config.file=${join(o.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(o.dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--rules.alert.resend-delay=1s',
  ]);
  await proc.waitForUrl(`${url}/-/ready`, 30_000);
  // It answers 503 until its TSDB is open (a backfilled one takes a moment), queries too.
  await waitFor('Prometheus ready', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), 30_000, 100);
  type Groups = { data: { groups: { lastEvaluation: string }[] } };
  return {
    url,
    proc,
    setTargets,
    async evaluated() {
      const since = Date.now();
      await waitFor('a rule evaluation', async () => {
        const r = (await (await fetch(`${url}/api/v1/rules`)).json()) as Groups;
        return r.data.groups.every((g) => Date.parse(g.lastEvaluation) > since) ? true : undefined;
      }, 30_000, 200);
    },
    async query(expr, range) {
      const now = Date.now() / 1000;
      const q = range
        ? `${url}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${now - range.seconds}&end=${now}&step=${range.step}`
        : `${url}/api/v1/query?query=${encodeURIComponent(expr)}`;
      const r = (await (await fetch(q)).json()) as { status: string; error?: string; data: { result: PromResult[] } };
      if (r.status !== 'success') throw new Error(`${expr}: ${r.error}`);
      return r.data.result;
    },
    kill: () => proc.kill(),
  };
}

/** Writes into `dir` a copy of the alert file with every `for:` set to `forValue`; returns its path. */
export function withShortFor(alertFile: string, dir: string, forValue = '0s'): string {
  const alerts = parse(readFileSync(alertFile, 'utf8')) as { groups: { rules: { for?: string }[] }[] };
  for (const g of alerts.groups) for (const r of g.rules) if (r.for) r.for = forValue;
  const out = join(dir, basename(alertFile));
  writeFileSync(out, stringify(alerts));
  return out;
}

/** The shipped recording rules as they are and the shipped alerts with `for:` shortened (withShortFor):
 *  what a live test loads. */
export function shippedRuleFiles(dir: string, forValue = '0s'): string[] {
  return [repoPath('deploy', 'prometheus', 's3prober.rules.yml'), withShortFor(repoPath('deploy', 'prometheus', 's3prober.alerts.yml'), dir, forValue)];
}

/** Series that have at least one real (non-NaN) value. */
export const withData = (rs: PromResult[]): PromResult[] =>
  rs.filter((s) => (s.values ?? (s.value ? [s.value] : [])).some(([, v]) => v !== 'NaN'));
