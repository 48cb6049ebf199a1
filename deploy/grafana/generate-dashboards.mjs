// Generates dashboards/*.json. The JSON files are the artifact Grafana provisions; this script
// keeps dozens of panels consistent (datasource, selectors, layout). Run after editing:
//   node deploy/grafana/generate-dashboards.mjs [OUTPUT_DIR]
// test/unit/deploy/grafana.test.ts fails when the committed JSON differs from what this produces.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = process.argv[2] ?? join(here, 'dashboards');
const ds = { type: 'prometheus', uid: '${datasource}' };

function layout(rows) {
  // rows: [title | null, [[panel, width, height], ...]]; panels flow left to right.
  const panels = [];
  let id = 1;
  let y = 0;
  for (const [title, cells] of rows) {
    if (title) {
      panels.push({ type: 'row', id: id++, title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
      y += 1;
    }
    let x = 0;
    let rowH = 0;
    for (const [panel, w, h] of cells) {
      if (x + w > 24) {
        y += rowH;
        x = 0;
        rowH = 0;
      }
      panels.push({ ...panel, id: id++, gridPos: { h, w, x, y } });
      x += w;
      rowH = Math.max(rowH, h);
    }
    y += rowH;
  }
  return panels;
}

// Operation latency carries exemplars (the trace of an observation) when traces are on: shown on
// the panel, linked to the trace datasource by the Prometheus datasource's provisioning.
const EXEMPLARS = 's3prober_operation_duration_seconds_bucket';
const target = (expr, legendFormat, extra = {}) => ({
  refId: '', datasource: ds, expr, legendFormat, range: true, instant: false, ...(expr.includes(EXEMPLARS) ? { exemplar: true } : {}), ...extra,
});
function withRefIds(targets) {
  return targets.map((t, i) => ({ ...t, refId: String.fromCharCode(65 + i) }));
}

function timeseries(title, description, unit, targets, custom = {}, defaults = {}) {
  return {
    type: 'timeseries',
    title,
    description,
    datasource: ds,
    targets: withRefIds(targets),
    fieldConfig: {
      defaults: { unit, ...defaults, custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: true, ...custom } },
      overrides: [],
    },
    options: { legend: { showLegend: true, displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } },
  };
}

function stat(title, description, unit, expr, legendFormat, extra = {}) {
  return {
    type: 'stat',
    title,
    description,
    datasource: ds,
    targets: withRefIds([target(expr, legendFormat, { instant: true, range: false })]),
    fieldConfig: {
      defaults: {
        unit,
        color: { mode: 'thresholds' },
        thresholds: extra.thresholds ?? { mode: 'absolute', steps: [{ color: 'green', value: null }] },
        mappings: extra.mappings ?? [],
      },
      overrides: [],
    },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'none', textMode: 'auto', justifyMode: 'auto', orientation: 'auto' },
  };
}

function bargauge(title, description, unit, expr, legendFormat, thresholds) {
  return {
    type: 'bargauge',
    title,
    description,
    datasource: ds,
    targets: withRefIds([target(expr, legendFormat, { instant: true, range: false })]),
    fieldConfig: { defaults: { unit, color: { mode: 'thresholds' }, thresholds, min: 0 }, overrides: [] },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, orientation: 'horizontal', displayMode: 'gradient', showUnfilled: true, valueMode: 'color', namePlacement: 'auto', sizing: 'auto', minVizHeight: 16, minVizWidth: 8, maxVizHeight: 300 },
  };
}

const okFailMappings = [
  { type: 'value', options: { '0': { text: 'failed', color: 'red', index: 0 }, '1': { text: 'ok', color: 'green', index: 1 } } },
];

function stateTimeline(title, description, expr, legendFormat) {
  return {
    type: 'state-timeline',
    title,
    description,
    datasource: ds,
    targets: withRefIds([target(expr, legendFormat)]),
    fieldConfig: {
      defaults: { color: { mode: 'thresholds' }, thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] }, mappings: okFailMappings, custom: { fillOpacity: 80, lineWidth: 0 } },
      overrides: [],
    },
    options: { showValue: 'never', mergeValues: true, alignValue: 'left', rowHeight: 0.9, legend: { showLegend: false, displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'single', sort: 'none' } },
  };
}

function heatmap(title, description, expr) {
  return {
    type: 'heatmap',
    title,
    description,
    datasource: ds,
    // Buckets are already histograms: Grafana must not re-bucket them (calculate: false).
    targets: withRefIds([target(expr, '{{le}}', { format: 'heatmap' })]),
    fieldConfig: { defaults: { custom: { scaleDistribution: { type: 'linear' }, hideFrom: { legend: false, tooltip: false, viz: false } } }, overrides: [] },
    options: {
      calculate: false,
      cellGap: 1,
      color: { mode: 'scheme', scheme: 'Spectral', fill: 'dark-orange', scale: 'exponential', exponent: 0.5, steps: 64, reverse: false },
      exemplars: { color: 'rgba(255,0,255,0.7)' },
      filterValues: { le: 1e-9 },
      legend: { show: true },
      rowsFrame: { layout: 'auto' },
      showValue: 'never',
      tooltip: { mode: 'single', yHistogram: true, showColorScale: false },
      yAxis: { axisPlacement: 'left', unit: 's', reverse: false },
    },
  };
}

const datasourceVar = {
  type: 'datasource',
  name: 'datasource',
  label: 'Data source',
  query: 'prometheus',
  current: { text: 'Prometheus', value: 'prometheus' },
  hide: 0,
  refresh: 1,
  regex: '',
  includeAll: false,
  multi: false,
  options: [],
};

function queryVar(name, label, query, { multi, includeAll }) {
  return {
    type: 'query',
    name,
    label,
    datasource: ds,
    query: { query, refId: `${name}-var` },
    refresh: 2,
    sort: 1,
    regex: '',
    hide: 0,
    multi,
    includeAll,
    ...(includeAll ? { allValue: '.+', current: { text: 'All', value: '$__all' } } : {}),
    options: [],
  };
}

function dashboard({ uid, title, description, variables, panels, links }) {
  return {
    uid,
    title,
    description,
    tags: ['s3prober', 's3'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    fiscalYearStartMonth: 0,
    liveNow: false,
    links,
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: { list: [datasourceVar, ...variables] },
    panels,
  };
}

// ---------------------------------------------------------------- overview
const T = 'target=~"$target"';
const ops = (extra = '') => `s3prober_operations_total{${T}${extra}}`;
// Success ratios leave out what the SLO recording rules leave out: failure reasons that are no
// failure of the storage (unsupported, internal), read from those rules. As there, `or 0 * ...`
// stands in for failure counters that do not exist yet.
const rulesFile = join(here, '..', 'prometheus', 's3prober.rules.yml');
const exemptReasons = /s3prober_operation_failures_total\{reason=~"([^"]+)"\}/.exec(readFileSync(rulesFile, 'utf8'))?.[1];
if (!exemptReasons) throw new Error(`${rulesFile}: no reason=~ matcher on s3prober_operation_failures_total`);
const exempt = (by, win, sel) =>
  `(sum${by}(rate(s3prober_operation_failures_total{${sel},reason=~"${exemptReasons}"}[${win}])) or 0 * sum${by}(rate(s3prober_operations_total{${sel},outcome="failure"}[${win}])))`;
const successRatio = (by, win, sel = T) =>
  `sum${by}(rate(s3prober_operations_total{${sel},outcome="success"}[${win}])) / (sum${by}(rate(s3prober_operations_total{${sel},outcome=~"success|failure"}[${win}])) - ${exempt(by, win, sel)})`;
const ratioNote = 'skipped steps and failures with reason unsupported or internal left out, as in the SLO rules';
const ratioThresholds = { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'orange', value: 0.99 }, { color: 'green', value: 0.995 }] };

// Rows of the opt-in checks, each a function of its own so that others' rows merge beside them.
function durabilityRow() {
  return ['Durable canaries', [
    [bargauge('Durable objects lost or rotten', 'Durable objects found gone (lost) or with other bytes (integrity) in the dashboard range, per target; each was rewritten (S3ProberDurableDataLost).', 'none',
      `sum by (target) (increase(s3prober_durability_failures_total{${T},reason=~"lost|integrity"}[$__range]))`, '{{target}}',
      { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: 1 }] }), 8, 8],
    [bargauge('Since the last full pass', 'Time since a pass over the durable set verified every object (S3ProberDurableSetUnverified after a day).', 's',
      `time() - max by (target) (s3prober_durable_last_full_pass_timestamp_seconds{${T}})`, '{{target}}',
      { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'orange', value: 43200 }, { color: 'red', value: 86400 }] }), 8, 8],
    [bargauge('Oldest intact object', 'Age of the oldest durable object the last full pass found intact: how long the store has kept data intact.', 's',
      `time() - min by (target) (s3prober_durable_oldest_object_timestamp_seconds{${T}})`, '{{target}}',
      { mode: 'absolute', steps: [{ color: 'blue', value: null }] }), 8, 8],
    [timeseries('Durable objects by state', 'Objects of each durable set in the last full pass: ok, missing (lost; rewritten), corrupt (rewritten).', 'none',
      [target(`sum by (target, state) (s3prober_durable_objects{${T}})`, '{{target}} {{state}}')]), 12, 8],
    [timeseries('Durability failures by reason', 'Lost and rotten objects, and the durability check\'s failed requests by reason.', 'short',
      [target(`sum by (target, reason) (increase(s3prober_durability_failures_total{${T}}[$__rate_interval]))`, '{{target}} {{reason}}')],
      { drawStyle: 'bars', fillOpacity: 80, stacking: { mode: 'normal', group: 'A' } }), 12, 8],
  ]];
}

function replicationRow() {
  const R = 'source=~"$target"';
  return ['Replication', [
    [timeseries('Replication lag p50 / p90', 'Seconds from the source acknowledging a write (object) or a delete to the destination showing it; an upper bound, to within the poll back-off (S3ProberReplicationLagHigh).', 's', [
      target(`histogram_quantile(0.5, sum by (replication, kind, le) (rate(s3prober_replication_lag_seconds_bucket{${R}}[$__rate_interval])))`, '{{replication}} {{kind}} p50'),
      target(`histogram_quantile(0.9, sum by (replication, kind, le) (rate(s3prober_replication_lag_seconds_bucket{${R}}[$__rate_interval])))`, '{{replication}} {{kind}} p90'),
    ]), 12, 8],
    [timeseries('Objects in flight', 'Objects written and not yet at the destination (object), deleted and still there (delete). Growing: replication falls behind.', 'none',
      [target(`sum by (replication, kind) (s3prober_replication_in_flight{${R}})`, '{{replication}} {{kind}}')]), 12, 8],
    [timeseries('Replication failures by reason', 'Writes and deletes that did not replicate: timeout (not there in time), integrity (other bytes), or the failed request\'s reason (S3ProberReplicationStuck).', 'short',
      [target(`sum by (replication, kind, reason) (increase(s3prober_replication_failures_total{${R}}[$__rate_interval]))`, '{{replication}} {{kind}} {{reason}}')],
      { drawStyle: 'bars', fillOpacity: 80, stacking: { mode: 'normal', group: 'A' } }), 12, 8],
    [bargauge('Since the last arrival', 'Time since the destination last showed a write (object) or a delete of the source.', 's',
      `time() - max by (replication, kind) (s3prober_replication_last_success_timestamp_seconds{${R}})`, '{{replication}} {{kind}}',
      { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'orange', value: 300 }, { color: 'red', value: 1800 }] }), 12, 8],
  ]];
}

const overview = dashboard({
  uid: 's3prober-overview',
  title: 's3prober / Overview',
  description: 'Every S3 target s3prober probes: success, cycle status, failures by reason, latency and certificate expiry; durable canaries and replication.',
  links: [{ title: 'Target drill-down', type: 'dashboards', tags: ['s3prober'], asDropdown: true, includeVars: false, keepTime: true, icon: 'external link', targetBlank: false, tooltip: '', url: '' }],
  variables: [queryVar('target', 'Target', 'label_values(s3prober_operations_total, target)', { multi: true, includeAll: true })],
  panels: layout([
    ['Health', [
      [stat('Targets', 'Targets with probe results in the selection.', 'none', `count(count by (target) (${ops()}))`, ''), 4, 4],
      [stat('Success ratio', `Successful S3 operations over attempted ones in the dashboard range (${ratioNote}).`, 'percentunit', successRatio(' ', '$__range'), '', { thresholds: ratioThresholds }), 5, 4],
      [stat('Failing targets', 'Targets whose last canary cycle failed (a step the server does not offer fails every cycle too: see Failures by reason).', 'none', `count(s3prober_cycle_success{${T}} == 0) or vector(0)`, '', { thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: 1 }] } }), 5, 4],
      [stat('Leftover objects', 'Objects s3prober created but could not delete yet (retried every cycle).', 'none', `sum(s3prober_leftover_objects{${T}})`, '', { thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'orange', value: 1 }] } }), 5, 4],
      [stat('eBPF tracer', 'Whether the wire tracer runs in every exporter (needs CAP_BPF and CAP_PERFMON).', 'none', 'min(s3prober_ebpf_up)', '', {
        mappings: [{ type: 'value', options: { '0': { text: 'off', color: 'orange', index: 0 }, '1': { text: 'on', color: 'green', index: 1 } } }],
      }), 5, 4],
    ]],
    ['Success and cycles', [
      [timeseries('Success ratio by target', `Successful over attempted S3 operations per target (${ratioNote}).`, 'percentunit', [target(successRatio(' by (target) ', '$__rate_interval'), '{{target}}')], {}, { min: 0, max: 1 }), 12, 8],
      [stateTimeline('Cycle status', 'Result of the last canary cycle of each target.', `s3prober_cycle_success{${T}}`, '{{target}}'), 12, 8],
      [timeseries('Failures by reason', 'Failed S3 operations per target and reason, every reason of README\'s table; unsupported: the server does not offer that call (turn the step off with `steps`); internal: a bug in s3prober.', 'short', [target(`sum by (target, reason) (increase(s3prober_operation_failures_total{${T}}[$__rate_interval]))`, '{{target}} {{reason}}')], { drawStyle: 'bars', fillOpacity: 80, stacking: { mode: 'normal', group: 'A' } }), 12, 8],
      [timeseries('Operations by outcome', 'S3 operations per second by outcome; skipped means an earlier step failed.', 'ops', [target(`sum by (outcome) (rate(${ops()}[$__rate_interval]))`, '{{outcome}}')], { stacking: { mode: 'normal', group: 'A' } }), 12, 8],
    ]],
    ['Latency and freshness', [
      [timeseries('p99 latency by target', '99th percentile of all S3 operations per target (client side).', 's', [target(`histogram_quantile(0.99, sum by (target, le) (rate(s3prober_operation_duration_seconds_bucket{${T}}[$__rate_interval])))`, '{{target}}')]), 12, 8],
      [timeseries('Cycle duration', 'Mean duration of a full canary cycle per target.', 's', [target(`sum by (target) (rate(s3prober_cycle_duration_seconds_sum{${T}}[$__rate_interval])) / sum by (target) (rate(s3prober_cycle_duration_seconds_count{${T}}[$__rate_interval]))`, '{{target}}')]), 12, 8],
      [bargauge('Time since last cycle', 'Seconds since the last finished cycle of each target; a growing value means the prober is stalled.', 's', `time() - max by (target) (s3prober_last_cycle_timestamp_seconds{${T}})`, '{{target}}', { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'orange', value: 120 }, { color: 'red', value: 300 }] }), 8, 8],
      [bargauge('Certificate expiry', 'Time until the TLS certificate of each HTTPS target expires.', 's', `min by (target) (s3prober_tls_cert_expiry_timestamp_seconds{${T}}) - time()`, '{{target}}', { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'orange', value: 259200 }, { color: 'green', value: 1209600 }] }), 8, 8],
      [timeseries('Skipped cycles', 'Scheduled slots that ran no cycle: overrun, the previous cycle was still running; missed, the prober itself was blocked or starved for more than an interval.', 'short', [target(`sum by (target, reason) (increase(s3prober_cycles_skipped_total{${T}}[$__rate_interval]))`, '{{target}} {{reason}}')], { drawStyle: 'bars', fillOpacity: 80 }), 8, 8],
    ]],
    durabilityRow(),
    replicationRow(),
    ['The prober itself', [
      [timeseries('Kernel events', 'Events the eBPF tracer received and lost per exporter; any loss makes wire metrics incomplete (S3ProberEbpfEventsDropped).', 'short', [
        target('sum by (instance) (rate(s3prober_ebpf_events_total[$__rate_interval]))', '{{instance}} events/s'),
        target('sum by (instance) (rate(s3prober_ebpf_events_dropped_total[$__rate_interval]))', '{{instance}} dropped/s'),
      ]), 12, 8],
      [timeseries('Internal errors', 'Errors s3prober\'s own code did not handle, per exporter and kind: bugs in s3prober, not failures of the storage; its log has each (S3ProberInternalError).', 'short', [
        target('sum by (instance, kind) (increase(s3prober_internal_errors_total[$__rate_interval]))', '{{instance}} {{kind}}'),
      ], { drawStyle: 'bars', fillOpacity: 80 }), 12, 8],
    ]],
  ]),
});

// ---------------------------------------------------------------- per target
const S = 'target=~"$target",operation=~"$operation"';
// per-target families (phases, client overhead) have no operation label: select with T
const q = (quantile, metric, by = 'operation', sel = S) =>
  `histogram_quantile(${quantile}, sum by (${by}, le) (rate(${metric}_bucket{${sel}}[$__rate_interval])))`;
const meanBy = (metric, by, sel = S) =>
  `sum by (${by}) (rate(${metric}_sum{${sel}}[$__rate_interval])) / sum by (${by}) (rate(${metric}_count{${sel}}[$__rate_interval]))`;

const drilldown = dashboard({
  uid: 's3prober-target',
  title: 's3prober / Target',
  description: 'One S3 target in depth: latency heatmaps and quantiles per operation, client vs wire (eBPF), phases, bytes and failures.',
  links: [{ title: 'Overview', type: 'link', url: '/d/s3prober-overview', includeVars: false, keepTime: true, asDropdown: false, icon: 'dashboard', tags: [], targetBlank: false, tooltip: '' }],
  variables: [
    queryVar('target', 'Target', 'label_values(s3prober_operations_total, target)', { multi: false, includeAll: false }),
    queryVar('operation', 'Operation', 'label_values(s3prober_operations_total{target=~"$target"}, operation)', { multi: true, includeAll: true }),
  ],
  panels: layout([
    ['Summary', [
      [stat('Success ratio', `Successful over attempted operations in the dashboard range (${ratioNote}).`, 'percentunit', successRatio(' ', '$__range'), '', { thresholds: ratioThresholds }), 5, 4],
      [stat('Last cycle', 'Result of the last canary cycle.', 'none', 'max(s3prober_cycle_success{target=~"$target"})', '', { mappings: okFailMappings }), 5, 4],
      [stat('Since last cycle', 'Time since the last cycle finished.', 's', 'time() - max(s3prober_last_cycle_timestamp_seconds{target=~"$target"})', ''), 5, 4],
      [stat('Leftover objects', 'Objects created by s3prober not yet deleted.', 'none', 'sum(s3prober_leftover_objects{target=~"$target"})', ''), 4, 4],
      [stat('Certificate expires in', 'Time until the endpoint certificate expires (HTTPS targets only).', 's', 'min(s3prober_tls_cert_expiry_timestamp_seconds{target=~"$target"}) - time()', '', {
        thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'orange', value: 259200 }, { color: 'green', value: 1209600 }] },
      }), 5, 4],
    ]],
    ['Client latency', [
      [heatmap('Latency heatmap (client)', 'Distribution of successful operation latencies as the SDK saw them; failed requests never enter it.', `sum by (le) (increase(s3prober_operation_duration_seconds_bucket{${S}}[$__rate_interval]))`), 12, 9],
      [timeseries('p50 / p90 / p99 per operation', 'Latency quantiles per operation from the histogram.', 's', [
        target(q(0.5, 's3prober_operation_duration_seconds'), '{{operation}} p50'),
        target(q(0.9, 's3prober_operation_duration_seconds'), '{{operation}} p90'),
        target(q(0.99, 's3prober_operation_duration_seconds'), '{{operation}} p99'),
      ]), 12, 9],
      [timeseries('Last duration per operation', 'Duration of the most recent request of each operation.', 's', [target(`s3prober_operation_last_duration_seconds{${S}}`, '{{operation}}')], { drawStyle: 'points', pointSize: 4 }), 12, 8],
      [timeseries('Sliding-window quantiles (summary)', 'Quantiles computed by the exporter over its sliding window.', 's', [target(`s3prober_operation_latency_seconds{${S}}`, '{{operation}} q{{quantile}}')]), 12, 8],
    ]],
    ['Client vs wire (eBPF)', [
      [heatmap('Latency heatmap (wire)', 'First request byte sent to last response byte received, measured in the kernel.', `sum by (le) (increase(s3prober_wire_duration_seconds_bucket{${S}}[$__rate_interval]))`), 12, 9],
      [timeseries('Client vs wire p90', 'p90 per operation as the client saw it and as the wire saw it; the gap is client overhead.', 's', [
        target(q(0.9, 's3prober_operation_duration_seconds'), '{{operation}} client'),
        target(q(0.9, 's3prober_wire_duration_seconds'), '{{operation}} wire'),
      ]), 12, 9],
      [timeseries('Client overhead', 'Client request time beyond the wire, all operations (event loop, SDK, parsing). Per operation: compare client and wire p90.', 's', [
        target(q(0.5, 's3prober_client_overhead_seconds', 'target', T), '{{target}} p50'),
        target(q(0.9, 's3prober_client_overhead_seconds', 'target', T), '{{target}} p90'),
      ]), 8, 8],
      [timeseries('Wire phases (mean)', 'Where wire time goes: connect, tls, request, server, transfer.', 's', [target(meanBy('s3prober_wire_phase_duration_seconds', 'phase', T), '{{phase}}')], { stacking: { mode: 'normal', group: 'A' }, fillOpacity: 60 }), 8, 8],
      [timeseries('TCP', 'Round-trip time measured by the kernel and retransmitted segments.', 's', [
        target(`histogram_quantile(0.5, sum by (le) (rate(s3prober_tcp_rtt_seconds_bucket{target=~"$target"}[$__rate_interval])))`, 'RTT p50'),
        target(`sum(increase(s3prober_tcp_retransmits_total{target=~"$target"}[$__rate_interval]))`, 'retransmits'),
      ]), 8, 8],
    ]],
    ['Phases', [
      [timeseries('Client phases (mean per request)', 'prepare (the SDK before the first request, not in the operation latency), resolve, connect, tls, processing (to first byte), transfer; only phases that were measured.', 's', [target(meanBy('s3prober_phase_duration_seconds', 'phase', T), '{{phase}}')], { stacking: { mode: 'normal', group: 'A' }, fillOpacity: 60 }), 12, 8],
      [timeseries('Client phases p90', 'p90 of each phase, all operations together.', 's', [target(q(0.9, 's3prober_phase_duration_seconds', 'phase', T), '{{phase}}')]), 12, 8],
    ]],
    ['Bytes', [
      [timeseries('Transfer rate', 'Payload bytes per second by direction (client side).', 'Bps', [target(`sum by (direction) (rate(s3prober_transfer_bytes_total{${S}}[$__rate_interval]))`, '{{direction}}')]), 8, 8],
      [timeseries('Throughput per operation', 'Payload bytes per second of request time: what one request achieves.', 'Bps', [
        target(`sum by (operation) (rate(s3prober_transfer_bytes_total{${S}}[$__rate_interval])) / sum by (operation) (rate(s3prober_operation_duration_seconds_sum{${S}}[$__rate_interval])) > 0`, '{{operation}}'),
      ]), 8, 8],
      [timeseries('Wire bytes', 'Bytes on the wire per second by direction (eBPF; includes headers and TLS).', 'Bps', [target(`sum by (direction) (rate(s3prober_wire_bytes_total{target=~"$target"}[$__rate_interval]))`, '{{direction}}')]), 8, 8],
    ]],
    ['Failures', [
      [timeseries('Failures by operation and reason', 'Failed operations; see the runbook of S3ProberCycleFailing. unsupported: the server does not offer the call (S3ProberStepUnsupported); internal: a bug in s3prober (S3ProberInternalError).', 'short', [target(`sum by (operation, reason) (increase(s3prober_operation_failures_total{${S}}[$__rate_interval]))`, '{{operation}} {{reason}}')], { drawStyle: 'bars', fillOpacity: 80, stacking: { mode: 'normal', group: 'A' } }), 12, 8],
      [timeseries('Outcomes per operation', 'Success, failure and skipped per operation.', 'short', [target(`sum by (operation, outcome) (increase(s3prober_operations_total{${S}}[$__rate_interval]))`, '{{operation}} {{outcome}}')]), 12, 8],
      [stateTimeline('Operation status', 'Result of the last request of each operation.', `s3prober_operation_success{${S}}`, '{{operation}}'), 24, 8],
    ]],
  ]),
});

// ---------------------------------------------------------------- per node
// Targets with `nodes`: each node against its peers (S3ProberNodeDown, S3ProberNodeLatencyOutlier).
const N = 'target=~"$target",node!=""';
const NO = `${N},operation=~"$operation"`;
const nodeP90 = `histogram_quantile(0.9, sum by (target, node, operation, le) (rate(s3prober_operation_duration_seconds_bucket{${NO}}[$__rate_interval])))`;

const nodes = dashboard({
  uid: 's3prober-nodes',
  title: 's3prober / Nodes',
  description: 'Targets that probe every node behind their endpoint: which node fails and since when, its success ratio, and its latency against its peers.',
  links: [{ title: 'Overview', type: 'link', url: '/d/s3prober-overview', includeVars: false, keepTime: true, asDropdown: false, icon: 'dashboard', tags: [], targetBlank: false, tooltip: '' }],
  variables: [
    queryVar('target', 'Target', 'label_values(s3prober_target_nodes, target)', { multi: true, includeAll: true }),
    queryVar('operation', 'Operation', 'label_values(s3prober_operations_total{target=~"$target",node!=""}, operation)', { multi: true, includeAll: true }),
  ],
  panels: layout([
    ['Nodes', [
      [stat('Nodes probed', 'Nodes probed in the last cycle of the selected targets (at most maxNodes each).', 'none', 'sum(s3prober_target_nodes{target=~"$target",state="probed"})', ''), 6, 4],
      [stat('Nodes found', 'Addresses discovery found (or the list gave); more than probed when maxNodes cut the list.', 'none', 'sum(s3prober_target_nodes{target=~"$target",state="found"})', ''), 6, 4],
      [stat('Failing nodes', 'Nodes whose last cycle failed.', 'none', `count(s3prober_cycle_success{${N}} == 0) or vector(0)`, '', { thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: 1 }] } }), 6, 4],
      [stat('Discovery failures', 'Node discoveries (DNS) that failed in the dashboard range; the nodes last seen are still probed meanwhile.', 'none', 'sum(increase(s3prober_node_discovery_failures_total{target=~"$target"}[$__range]))', '', { thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'orange', value: 1 }] } }), 6, 4],
    ]],
    ['Which node, since when', [
      [stateTimeline('Cycle status per node', 'Result of the last canary cycle of each node: where a red band starts is since when it fails.', `s3prober_cycle_success{${N}}`, '{{target}} {{node}}'), 16, 8],
      [bargauge('Since last successful cycle', 'Time since each node last finished a cycle without failure, within the dashboard range (a node that failed all of it shows none: see the status per node).', 's', `time() - max by (target, node) (max_over_time(timestamp(s3prober_cycle_success{${N}} == 1)[$__range:$__interval]))`, '{{target}} {{node}}', { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'orange', value: 300 }, { color: 'red', value: 900 }] }), 8, 8],
    ]],
    ['Against its peers', [
      [timeseries('Success ratio per node', `Successful over attempted operations per node (${ratioNote}); S3ProberNodeDown compares each node with its target's best.`, 'percentunit', [target(successRatio(' by (target, node) ', '$__rate_interval', N), '{{target}} {{node}}')], {}, { min: 0, max: 1 }), 12, 8],
      [timeseries('Failures per node and reason', 'Failed operations per node and reason (README\'s reason table).', 'short', [target(`sum by (target, node, reason) (increase(s3prober_operation_failures_total{${N}}[$__rate_interval]))`, '{{target}} {{node}} {{reason}}')], { drawStyle: 'bars', fillOpacity: 80, stacking: { mode: 'normal', group: 'A' } }), 12, 8],
      [timeseries('p90 latency per node', 'p90 of successful operations per node and operation.', 's', [target(nodeP90, '{{node}} {{operation}}')]), 12, 8],
      [timeseries('Latency against the peers (p90 / median of the nodes)', "Each node's p90 per operation over the median of its target's nodes: 1 is the norm; S3ProberNodeLatencyOutlier fires above 3 (with 3 nodes or more, over 100 ms, over 15 minutes).", 'none', [
        target(`${nodeP90} / on (target, operation) group_left quantile by (target, operation) (0.5, ${nodeP90})`, '{{node}} {{operation}}'),
      ]), 12, 8],
    ]],
  ]),
});

for (const d of [overview, drilldown, nodes]) {
  writeFileSync(join(outDir, `${d.uid}.json`), `${JSON.stringify(d, null, 2)}\n`);
}
