// Prometheus rules, alerts and the Alertmanager example: checked by promtool/amtool, plus the
// mixin conventions (prefix, severity, annotations, runbook) and an alert test for every alert.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DEFAULT_PORT } from '../../../src/config/listen.js';
import { knownSeriesNames, parsePromQL, repoPath, run, runOk } from '../../support/deploy/lib.js';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; interval?: string; rules: Rule[] }[];
}
interface AlertTest {
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string> }[];
}
interface RuleTestFile {
  group_eval_order?: string[];
  tests: { alert_rule_test?: AlertTest[] }[];
}

const promDir = repoPath('deploy', 'prometheus');
const load = (f: string): RuleFile => parse(readFileSync(repoPath('deploy', 'prometheus', f), 'utf8')) as RuleFile;
const recording = load('s3prober.rules.yml').groups.flatMap((g) => g.rules);
/** The alert files: every one is loaded by Prometheus and has promtool unit tests in tests/. */
const ALERT_FILES = ['s3prober.alerts.yml', 's3prober.shards.alerts.yml'];
const alerts = ALERT_FILES.flatMap((f) => load(f).groups.flatMap((g) => g.rules));
/** Every group in the order Prometheus reads them: the rules file, then the alerts file (the shard
 *  alerts read no recorded series). */
const groups = [...load('s3prober.rules.yml').groups, ...load('s3prober.alerts.yml').groups];
const testFiles = readdirSync(repoPath('deploy', 'prometheus', 'tests')).filter((f) => f.endsWith('.test.yml')).sort();
const ruleTests = testFiles.map((f) => ({
  file: f,
  ...(parse(readFileSync(repoPath('deploy', 'prometheus', 'tests', f), 'utf8')) as RuleTestFile),
}));

test('promtool check rules accepts the rule files', () => {
  const r = runOk('promtool', ['check', 'rules', 's3prober.rules.yml', ...ALERT_FILES], { cwd: promDir });
  const found = [...r.stdout.matchAll(/SUCCESS: (\d+) rules found/g)].map((m) => Number(m[1]));
  assert.deepEqual(found, [recording.length, ...ALERT_FILES.map((f) => load(f).groups.flatMap((g) => g.rules).length)]);
});

test('promtool test rules: every alert unit test passes', () => {
  assert.ok(testFiles.length >= 4, `test files: ${testFiles.join(', ')}`);
  const r = runOk('promtool', ['test', 'rules', ...testFiles.map((f) => `tests/${f}`)], { cwd: promDir });
  assert.equal([...(r.stdout + r.stderr).matchAll(/SUCCESS/g)].length, testFiles.length, r.stdout + r.stderr);
});

test('a recorded series is recorded before the rules that read it; tests evaluate groups in that order', () => {
  // Prometheus evaluates a group's rules in order: a rule reading a series recorded later in its
  // own group, or in a later group, sees the previous evaluation's value (or none at first).
  const recordedIn = new Map<string, number>();
  for (const [gi, g] of groups.entries()) {
    for (const [ri, r] of g.rules.entries()) {
      for (const m of parsePromQL(r.expr).metrics) {
        const at = recordedIn.get(m);
        const later = groups.slice(gi).flatMap((h, hi) => (hi === 0 ? h.rules.slice(ri) : h.rules)).some((x) => x.record === m);
        assert.ok(at !== undefined || !later, `${g.name}/${r.alert ?? r.record} reads ${m}, recorded only after it`);
      }
      if (r.record) recordedIn.set(r.record, gi);
    }
  }
  // promtool evaluates groups in any order unless told: files that pin it pin this one.
  for (const t of ruleTests.filter((x) => x.group_eval_order)) {
    assert.deepEqual(t.group_eval_order, groups.map((g) => g.name), `${t.file}: group_eval_order`);
  }
});

test('the per-node error ratios are the SLO 5m ratio by node (and operation), without 0/0', () => {
  const base = recording.find((r) => r.record === 'target:s3prober_operations_errors:ratio_rate5m')!.expr;
  const squash = (e: string) => e.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();
  for (const [record, by] of [
    ['target_node:s3prober_operations_errors:ratio_rate5m', 'target, node'],
    ['target_node_operation:s3prober_operations_errors:ratio_rate5m', 'target, node, operation'],
  ] as const) {
    const r = recording.find((x) => x.record === record);
    assert.ok(r, `${record} is recorded`);
    assert.equal(squash(r.expr), squash(`(${base.replaceAll('by (target)', `by (${by})`)}) >= 0`), record);
  }
});

test('promtool check config accepts the compose, example scrape, regional and federation configs; the first two scrape the default port', () => {
  for (const f of ['prometheus.yml', 'scrape-config.example.yml', 'regional.example.yml', 'federation.example.yml']) runOk('promtool', ['check', 'config', f], { cwd: promDir });
  for (const f of ['prometheus.yml', 'scrape-config.example.yml']) {
    const cfg = parse(readFileSync(repoPath('deploy', 'prometheus', f), 'utf8')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    const targets = cfg.scrape_configs.find((j) => j.job_name === 's3prober')!.static_configs.flatMap((c) => c.targets);
    assert.ok(targets.length > 0, f);
    for (const t of targets) assert.ok(t.endsWith(`:${DEFAULT_PORT}`), `${f}: ${t} is not on s3prober's default port`);
  }
});

test('alerts follow the mixin conventions', () => {
  const runbooks = readFileSync(repoPath('deploy', 'prometheus', 'runbooks.md'), 'utf8');
  const anchors = new Set([...runbooks.matchAll(/^## (\S+)$/gm)].map((m) => m[1]!.toLowerCase()));
  assert.ok(alerts.length >= 10);
  for (const a of alerts) {
    assert.ok(a.alert, `a non-alert rule in the alerts file: ${a.record}`);
    assert.match(a.alert, /^S3Prober[A-Z][A-Za-z0-9]+$/, `${a.alert}: CamelCase with the S3Prober prefix`);
    assert.ok(['critical', 'warning', 'info'].includes(a.labels?.severity ?? ''), `${a.alert}: severity`);
    for (const k of ['summary', 'description', 'runbook_url']) {
      assert.ok((a.annotations?.[k] ?? '').trim().length > 0, `${a.alert}: annotation ${k}`);
    }
    const url = a.annotations!.runbook_url!;
    assert.ok(url.endsWith(`runbooks.md#${a.alert.toLowerCase()}`), `${a.alert}: runbook_url points at its own section: ${url}`);
    assert.ok(anchors.has(a.alert.toLowerCase()), `${a.alert}: runbooks.md has a "## ${a.alert}" section`);
  }
  const required = [
    'S3ProberNodeDown', 'S3ProberNodeLatencyOutlier', 'S3ProberLatencyAnomaly', 'S3ProberErrorRatioAnomaly',
    'S3ProberTargetDown', 'S3ProberCycleFailing', 'S3ProberHighLatency', 'S3ProberIntegrityFailure',
    'S3ProberStalled', 'S3ProberLeftoversPilingUp', 'S3ProberCertificateExpiring', 'S3ProberEbpfTracerDown',
    'S3ProberEbpfEventsDropped', 'S3ProberErrorBudgetBurn', 'S3ProberStepUnsupported', 'S3ProberInternalError',
    'S3ProberShardCoverageGap', 'S3ProberShardCoverageOverlap',
  ];
  for (const name of required) assert.ok(alerts.some((a) => a.alert === name), `missing alert ${name}`);
  const integrity = alerts.find((a) => a.alert === 'S3ProberIntegrityFailure')!;
  assert.equal(integrity.labels?.severity, 'critical');
  const burn = alerts.filter((a) => a.alert === 'S3ProberErrorBudgetBurn');
  assert.deepEqual(burn.map((a) => `${a.labels?.long_window}/${a.labels?.short_window}`), ['1h/5m', '6h/30m', '1d/2h', '3d/6h']);
});

test('every alert and every severity and baseline variant has a firing unit test', () => {
  const fired = new Set<string>();
  const silent = new Set<string>();
  for (const t of ruleTests.flatMap((f) => f.tests)) {
    for (const at of t.alert_rule_test ?? []) {
      if ((at.exp_alerts ?? []).length === 0) silent.add(at.alertname);
      for (const e of at.exp_alerts ?? []) fired.add(`${at.alertname}/${e.exp_labels?.severity}/${e.exp_labels?.baseline}`);
    }
  }
  for (const a of alerts) {
    const variant = `${a.alert}/${a.labels?.severity}/${a.labels?.baseline}`;
    assert.ok(fired.has(variant), `no test expects ${a.alert} (severity ${a.labels?.severity}, baseline ${a.labels?.baseline}) to fire`);
  }
  // Tests that also pin a "not yet / no longer firing" moment, for the alerts with a for: or window.
  for (const name of ['S3ProberExporterDown', 'S3ProberCycleFailing', 'S3ProberHighLatency', 'S3ProberIntegrityFailure', 'S3ProberStalled', 'S3ProberLeftoversPilingUp', 'S3ProberStepUnsupported', 'S3ProberInternalError', 'S3ProberShardCoverageGap', 'S3ProberShardCoverageOverlap', 'S3ProberNodeDown', 'S3ProberNodeLatencyOutlier', 'S3ProberLatencyAnomaly', 'S3ProberErrorRatioAnomaly']) {
    assert.ok(silent.has(name), `${name}: a test with exp_alerts: [] is expected`);
  }
});

test('the SLO error ratios leave out the reasons README calls no error-budget burn, in every window', () => {
  const readme = readFileSync(repoPath('README.md'), 'utf8');
  const exempt = [...readme.matchAll(/^\| `(\w+)` \|.*not an error-budget burn/gm)].map((m) => m[1]!).sort();
  assert.ok(exempt.length > 0, "README's reason table marks no reason as no error-budget burn");
  const ratios = recording.filter((r) => r.record!.startsWith('target:s3prober_operations_errors:ratio_rate'));
  const base = ratios.find((r) => r.record!.endsWith(':ratio_rate5m'))!;
  // Numerator and denominator each subtract the same reasons.
  const matchers = [...base.expr.matchAll(/s3prober_operation_failures_total\{reason=~"([^"]+)"\}/g)].map((m) => m[1]!.split('|').sort());
  assert.deepEqual(matchers, [exempt, exempt], base.expr);
  // Each window's rule is the 5m rule with its own window, so no window can drift from the others.
  const windows = alerts.filter((a) => a.alert === 'S3ProberErrorBudgetBurn').flatMap((a) => [a.labels!.long_window!, a.labels!.short_window!]);
  assert.deepEqual(ratios.map((r) => r.record!.split(':ratio_rate')[1]).sort(), [...new Set(windows)].sort());
  for (const r of ratios) {
    const w = r.record!.split(':ratio_rate')[1]!;
    assert.equal(r.expr, base.expr.replaceAll('[5m]', `[${w}]`), `${r.record} differs from the 5m rule by more than its window`);
  }
});

test('rules only use metric families the exporter exports, and every recorded series is used', () => {
  const known = knownSeriesNames();
  const recorded = new Set(recording.map((r) => r.record!));
  const used = new Set<string>();
  for (const r of [...recording, ...alerts]) {
    const p = parsePromQL(r.expr);
    assert.deepEqual(p.errors, [], `${r.alert ?? r.record}: ${r.expr}`);
    for (const m of p.metrics) {
      used.add(m);
      assert.ok(known.has(m) || recorded.has(m), `${r.alert ?? r.record}: unknown metric ${m}`);
    }
  }
  // Recording rules that nothing uses are allowed only for dashboards (latency quantiles).
  const forDashboards = /^(target_operation:s3prober_(operation|wire)_duration_seconds:p\d+_rate\d+m|target:s3prober_client_overhead_seconds:p\d+_rate\d+m)$/;
  for (const r of recorded) {
    if (!forDashboards.test(r)) assert.ok(used.has(r), `${r} is recorded but no rule or alert uses it`);
  }
});

test('amtool accepts the Alertmanager example and routes by severity', () => {
  const cfg = repoPath('deploy', 'alertmanager', 'alertmanager.yml');
  const r = runOk('amtool', ['check-config', cfg]);
  assert.match(r.stdout, /SUCCESS/);
  const route = (labels: string[]): string =>
    runOk('amtool', ['config', 'routes', 'test', `--config.file=${cfg}`, ...labels]).stdout.trim();
  assert.equal(route(['alertname=S3ProberIntegrityFailure', 'severity=critical', 'target=a']), 'pager');
  assert.equal(route(['alertname=S3ProberHighLatency', 'severity=warning', 'target=a']), 'team');
  assert.equal(route(['alertname=S3ProberEbpfTracerDown', 'severity=info']), 'blackhole');
  // Every severity the alerts use has a route other than the silent one, except info.
  for (const sev of new Set(alerts.map((a) => a.labels!.severity!))) {
    const recv = route([`severity=${sev}`]);
    assert.equal(recv === 'blackhole', sev === 'info', `severity ${sev} routes to ${recv}`);
  }
  // A broken config must be rejected (guards against amtool silently accepting anything).
  const bad = run('amtool', ['check-config', '/dev/stdin'], { input: 'route:\n  receiver: nobody\nreceivers: []\n' });
  assert.notEqual(bad.code, 0);
});
