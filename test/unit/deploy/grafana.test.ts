// Grafana dashboards and provisioning: regenerated JSON matches the committed files, the JSON
// type-checks against @grafana/schema (dashboard and per-panel option types), and every panel
// query is valid PromQL over metric families the exporter exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { allPanels, dashboardDir, expand, loadDashboards, NODES_DASHBOARD, panelQueries } from '../../support/deploy/dashboards.js';
import { knownSeriesNames, parsePromQL, repoPath, run, runOk } from '../../support/deploy/lib.js';
import { EXEMPLAR_LABELS, PROBER_METRICS } from '../../../src/metrics/names.js';

const dashboards = loadDashboards();

test('committed dashboards are what generate-dashboards.mjs produces', () => {
  const tmp = mkdtempSync(join(tmpdir(), 's3prober-dash-'));
  try {
    runOk(process.execPath, [repoPath('deploy', 'grafana', 'generate-dashboards.mjs'), tmp]);
    const fresh = loadDashboards(tmp);
    assert.deepEqual(fresh.map((d) => d.file), dashboards.map((d) => d.file));
    for (const [i, d] of dashboards.entries()) {
      assert.equal(d.text, fresh[i]!.text, `${d.file} is stale: run node deploy/grafana/generate-dashboards.mjs`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

// Panel plugin option types published in @grafana/schema, by panel type.
const PANEL_TYPES: Record<string, { module: string; fieldConfig: boolean }> = {
  timeseries: { module: 'timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen', fieldConfig: true },
  stat: { module: 'stat/panelcfg/x/StatPanelCfg_types.gen', fieldConfig: false },
  bargauge: { module: 'bargauge/panelcfg/x/BarGaugePanelCfg_types.gen', fieldConfig: false },
  heatmap: { module: 'heatmap/panelcfg/x/HeatmapPanelCfg_types.gen', fieldConfig: true },
  'state-timeline': { module: 'statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen', fieldConfig: true },
};

test('dashboards type-check against @grafana/schema (tsc --noEmit --strict)', () => {
  // Inside the repository so that node_modules resolves; .work/ is git-ignored.
  const dir = repoPath('.work', 'grafana-typecheck');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [
    "import type { Dashboard } from '@grafana/schema';",
    ...Object.entries(PANEL_TYPES).map(
      ([, v], i) => `import type * as P${i} from '@grafana/schema/dist/esm/raw/composable/${v.module}';`,
    ),
    // JSON cannot name an enum member: Grafana reads plain strings, so enum types are compared
    // by their string values. Everything else (keys, shapes, primitive types) stays strict.
    'type Loose<T> = T extends string ? `${T}` : T extends number | boolean | null | undefined ? T',
    '  : T extends readonly (infer U)[] ? Loose<U>[] : T extends object ? { [K in keyof T]: Loose<T[K]> } : T;',
    // Panels may omit options: Grafana fills in the plugin defaults.
    'type DeepPartial<T> = T extends readonly (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;',
  ];
  const typeIndex = Object.keys(PANEL_TYPES);
  for (const [n, { file, json }] of dashboards.entries()) {
    lines.push(`// ${file}`, `export const dashboard${n} = ${JSON.stringify(json)} satisfies Loose<Dashboard>;`);
    for (const p of allPanels(json)) {
      if (p.type === 'row') continue;
      const i = typeIndex.indexOf(p.type);
      assert.ok(i >= 0, `${file}: panel "${p.title}" has type ${p.type} without a checked schema`);
      const custom = PANEL_TYPES[p.type]!.fieldConfig ? `DeepPartial<Loose<P${i}.FieldConfig>>` : 'never';
      lines.push(
        `export const panel${n}_${p.id} = ${JSON.stringify({ options: p.options ?? {}, custom: p.fieldConfig?.defaults?.custom })}` +
          ` satisfies { options: DeepPartial<Loose<P${i}.Options>>; custom?: ${custom} };`,
      );
    }
  }
  // Proves the check can fail: a misspelt key and a wrong type must be rejected.
  lines.push(
    '// @ts-expect-error misspelt key',
    "export const bad1 = { schemaVersion: 39, titel: 'x' } satisfies Loose<Dashboard>;",
    "export const bad2 = { schemaVersion: 39, panels: [{ type: 'stat', gridPos: { h: '4', w: 4, x: 0, y: 0 } }] } satisfies Loose<Dashboard>;",
  );
  // bad2 carries its @ts-expect-error on the line tsc reports (the nested literal).
  lines.splice(lines.length - 1, 0, '// @ts-expect-error string height');
  writeFileSync(join(dir, 'dashboards.ts'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', skipLibCheck: true, types: [] },
      files: ['dashboards.ts'],
    }),
  );
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  const r = run(repoPath('node_modules', '.bin', 'tsc'), ['-p', join(dir, 'tsconfig.json')]);
  assert.equal(r.code, 0, `tsc found problems in the dashboards:\n${r.stdout}${r.stderr}`);
});

test('panels: unique ids, no overlap, titled, described, on the $datasource variable', () => {
  for (const { file, json } of dashboards) {
    const panels = allPanels(json);
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${file}: duplicate panel ids`);
    const cells = new Set<string>();
    for (const p of panels) {
      assert.ok(p.title, `${file}: panel ${p.id} has no title`);
      const g = p.gridPos!;
      assert.ok(g.x >= 0 && g.x + g.w <= 24, `${file}: ${p.title} outside the 24-column grid`);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `${file}: ${p.title} overlaps another panel at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
      }
      if (p.type === 'row') continue;
      assert.ok(p.description, `${file}: ${p.title} has no description`);
      assert.ok((p.targets ?? []).length > 0, `${file}: ${p.title} has no query`);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `${file}: ${p.title} duplicate refIds`);
      for (const t of [p, ...(p.targets ?? [])]) assert.deepEqual(t.datasource, { type: 'prometheus', uid: '${datasource}' });
    }
  }
});

test('the overview and drill-down cover what the issue asks for', () => {
  const byUid = new Map(dashboards.map((d) => [d.json.uid, d.json]));
  const overview = byUid.get('s3prober-overview');
  const target = byUid.get('s3prober-target');
  assert.ok(overview && target);
  const exprs = (d: typeof overview) => allPanels(d).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')).join('\n');
  const o = exprs(overview);
  for (const m of ['outcome="success"', 's3prober_cycle_success', 's3prober_operation_failures_total', 's3prober_tls_cert_expiry_timestamp_seconds']) {
    assert.ok(o.includes(m), `overview lacks ${m}`);
  }
  const t = exprs(target);
  for (const m of ['histogram_quantile(0.5,', 'histogram_quantile(0.9,', 'histogram_quantile(0.99,', 's3prober_wire_duration_seconds', 's3prober_phase_duration_seconds', 's3prober_wire_phase_duration_seconds', 's3prober_transfer_bytes_total', 'reason']) {
    assert.ok(t.includes(m), `drill-down lacks ${m}`);
  }
  assert.ok(allPanels(target).filter((p) => p.type === 'heatmap').length >= 2, 'client and wire heatmaps');
  // Per node: which node (by node, on node targets only), since when, against its peers.
  const nodes = byUid.get(NODES_DASHBOARD);
  assert.ok(nodes, 'a per-node dashboard');
  const n = allPanels(nodes).filter((p) => p.type !== 'row').flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
  for (const e of n) assert.match(e, /node|s3prober_target_nodes|s3prober_node_discovery/, `per-node panel without nodes: ${e}`);
  const all = n.join('\n');
  for (const m of ['s3prober_cycle_success{target=~"$target",node!=""}', 'timestamp(', 'quantile by (target, operation) (0.5,', 'outcome="success"', 's3prober_target_nodes', 's3prober_node_discovery_failures_total']) {
    assert.ok(all.includes(m), `per-node dashboard lacks ${m}`);
  }
});

test('every panel query is valid PromQL over exported metric families; every variable is defined', () => {
  const known = knownSeriesNames();
  const queries = panelQueries();
  assert.ok(queries.length >= 30, `only ${queries.length} queries`);
  const defined = new Map(dashboards.map((d) => [d.json.uid, new Set(d.json.templating.list.map((v) => v.name))]));
  for (const q of queries) {
    const where = `${q.dashboard} / ${q.panel} / ${q.refId}`;
    for (const m of q.expr.matchAll(/\$\{?([A-Za-z_]\w*)/g)) {
      const name = m[1]!;
      assert.ok(name.startsWith('__') || defined.get(q.dashboard)!.has(name), `${where}: undefined variable $${name}`);
    }
    const e = expand(q.expr, { rateInterval: '1m', range: '1h', vars: { target: 'a', operation: '.+' } });
    assert.doesNotMatch(e, /\$/, `${where}: unexpanded variable in ${e}`);
    const p = parsePromQL(e);
    assert.deepEqual(p.errors, [], `${where}: ${e}`);
    assert.ok(p.metrics.length > 0, `${where}: no metric in ${e}`);
    for (const m of p.metrics) assert.ok(known.has(m), `${where}: unknown metric ${m}`);
  }
  // Variable queries: label_values(<selector>, label)
  for (const { json } of dashboards) {
    for (const v of json.templating.list.filter((x) => x.type === 'query')) {
      const qs = typeof v.query === 'string' ? v.query : v.query!.query;
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(qs);
      assert.ok(m, `${json.uid}: variable ${v.name} query ${qs}`);
      const p = parsePromQL(m[1]!.replace('$target', 'a'));
      assert.deepEqual(p.errors, []);
      for (const name of p.metrics) assert.ok(known.has(name));
    }
  }
});

test('failures show every reason; success ratios leave out the reasons the SLO rules leave out', () => {
  const rules = readFileSync(repoPath('deploy', 'prometheus', 's3prober.rules.yml'), 'utf8');
  const reasonMatchers = (e: string) => [...e.matchAll(/reason=~?"([^"]*)"/g)].map((m) => m[1]!.split('|').sort());
  const exempt = reasonMatchers(rules)[0];
  assert.ok(exempt, 'the SLO rules name the reasons they leave out');
  const queries = panelQueries();
  const ratios = queries.filter((q) => q.expr.includes('outcome="success"'));
  assert.ok(ratios.length >= 3, 'success-ratio panels');
  for (const q of ratios) {
    assert.deepEqual(reasonMatchers(q.expr), [exempt], `${q.dashboard} / ${q.panel}: ${q.expr}`);
    assert.match(q.expr, /\) or 0 \* sum/, `${q.dashboard} / ${q.panel}: a target without those failures still gets a ratio`);
  }
  // Breakdowns by reason select none, so a new reason shows without a dashboard change.
  const byReason = queries.filter((q) => /by \([^)]*\breason\b/.test(q.expr));
  assert.ok(byReason.length >= 2, 'failures-by-reason panels');
  for (const q of byReason) assert.deepEqual(reasonMatchers(q.expr), [], `${q.dashboard} / ${q.panel}: ${q.expr}`);
  assert.ok(queries.some((q) => q.expr.includes('s3prober_internal_errors_total')), 'a panel shows internal errors');
});

test('the PromQL check rejects broken queries', () => {
  assert.notDeepEqual(parsePromQL('sum(rate(s3prober_operations_total[5m])').errors, []);
  assert.notDeepEqual(parsePromQL('histogram_quantile(0.9, sum by (le) rate(x_bucket[5m]))').errors, []);
});

test('provisioning points Grafana at the dashboards folder and the Prometheus datasource uid', () => {
  const ds = parse(readFileSync(repoPath('deploy', 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as {
    datasources: { uid: string; type: string; url: string }[];
  };
  const prom = ds.datasources.find((d) => d.type === 'prometheus');
  assert.ok(prom);
  // The $datasource variable's default must be the provisioned uid.
  for (const { json } of dashboards) {
    const v = json.templating.list.find((x) => x.name === 'datasource') as unknown as { current: { value: string } };
    assert.equal(v.current.value, prom.uid);
  }
  const dp = parse(readFileSync(repoPath('deploy', 'grafana', 'provisioning', 'dashboards', 's3prober.yml'), 'utf8')) as {
    providers: { options: { path: string } }[];
  };
  const compose = readFileSync(repoPath('docker', 'compose.yaml'), 'utf8');
  assert.ok(compose.includes(`../deploy/grafana/dashboards:${dp.providers[0]!.options.path}`), 'compose mounts the dashboards where the provider looks');
  assert.ok(dashboardDir.endsWith('dashboards'));
});

test('operation latency panels show exemplars, linked by their trace_id to the provisioned Tempo', () => {
  const ds = parse(readFileSync(repoPath('deploy', 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as {
    datasources: { uid: string; type: string; jsonData?: { exemplarTraceIdDestinations?: { name: string; datasourceUid: string }[] } }[];
  };
  const links = ds.datasources.find((d) => d.type === 'prometheus')!.jsonData?.exemplarTraceIdDestinations ?? [];
  assert.equal(links.length, 1);
  assert.equal(links[0]!.name, EXEMPLAR_LABELS.traceId, 'the label name the exporter gives its exemplars');
  assert.equal(ds.datasources.find((d) => d.uid === links[0]!.datasourceUid)?.type, 'tempo');
  let latency = 0;
  for (const { json } of dashboards) {
    for (const p of allPanels(json)) {
      for (const t of (p.targets ?? []) as { expr?: string; exemplar?: boolean }[]) {
        const on = t.expr?.includes(`${PROBER_METRICS.opDuration}_bucket`) ?? false;
        if (on) latency++;
        assert.equal(t.exemplar ?? false, on, `${p.title}: exemplars on operation latency only`);
      }
    }
  }
  assert.ok(latency >= 4, `${latency} latency queries`);
});
