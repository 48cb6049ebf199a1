// The human status page: a view of the status API's object. Per target and address, the last
// cycle as a waterfall with its legend, the last hour per operation beside it, and the same cycle
// as a table; the durable set's last check; the tracer's state. Plain HTML and inline SVG.
import type { CycleV1, DurabilityV1, HistoryV1, ReplicationV1, StatusV1, TargetStatusV1 } from './status-schema.js';
import { CLIENT_PHASES } from '../results/request-trace.js';
import { WIRE_PHASES } from '../results/wire.js';
import { escapeHtml, failureText, ms, PHASE_STYLE, renderWaterfall, type BarPhase } from './waterfall.js';

const pct = (r: number | null) => (r === null ? '' : `${(r * 100).toFixed(r === 1 ? 0 : 1)}%`);
const kv = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => `${escapeHtml(k)}=${escapeHtml(v)}`).join(', ');

function legend(phases: Set<BarPhase>): string {
  const items = (Object.keys(PHASE_STYLE) as BarPhase[]).filter((p) => phases.has(p))
    .map((p) => `<li><span class="sw p-${p}"></span>${escapeHtml(PHASE_STYLE[p].label)}</li>`);
  return `<ul class="legend"><li><span class="sw bar"></span>operation (outline: its whole duration)</li>${items.join('')}<li><span class="sw badbar"></span>failed, with its reason</li></ul>`;
}

function historyTable(h: HistoryV1[], seconds: number): string {
  if (!h.length) return '<p>no history yet</p>';
  const rows = h.map((o) =>
    `<tr><td>${escapeHtml(o.operation)}</td><td>${o.success}/${o.success + o.failure}${o.skipped ? ` <span class="skip">(+${o.skipped} skipped)</span>` : ''}</td><td class="${o.failure ? 'bad' : 'ok'}">${pct(o.successRatio)}</td><td>${ms(o.p50Seconds)}</td><td>${ms(o.p99Seconds)}</td></tr>`);
  return `<table class="history"><caption>last ${seconds / 60} minutes</caption><tr><th>operation</th><th>success</th><th>ratio</th><th>p50</th><th>p99</th></tr>${rows.join('')}</table>`;
}

/** The cycle as a table: every figure of the waterfall, for readers without SVG. */
function cycleTable(c: CycleV1): string {
  const rows = c.operations.map((o) => {
    const phases = o.requests.map((r) => {
      const p = r.wire ? WIRE_PHASES.map((k) => [k, r.wire!.phases[k]] as const) : CLIENT_PHASES.map((k) => [k, r.clientPhases[k]] as const);
      const list = p.filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${ms(v)}`);
      if (r.wire?.overheadSeconds !== undefined) list.push(`client overhead ${ms(r.wire.overheadSeconds)}`);
      return `${r.wire ? 'kernel' : 'client'}: ${list.join(', ')}`;
    });
    const cls = o.outcome === 'success' ? 'ok' : o.outcome === 'failure' ? 'bad' : 'skip';
    const why = o.outcome === 'failure' ? failureText(o) : o.skippedBecause ?? '';
    return `<tr class="${cls}"><td>${escapeHtml(o.operation)}</td><td>${escapeHtml(o.size)}</td><td>${o.outcome}</td><td>${ms(o.durationSeconds)}</td><td>${o.bytes || ''}</td><td>${escapeHtml(why)}</td><td>${ms(o.startOffsetSeconds)}</td><td>${ms(o.prepareSeconds)}</td><td>${escapeHtml(phases.join('; '))}</td></tr>`;
  });
  return `<table class="cycle-table"><tr><th>operation</th><th>size</th><th>result</th><th>latency</th><th>bytes</th><th>reason</th><th>start</th><th>prepare</th><th>phases</th></tr>${rows.join('')}</table>`;
}

function durabilityBlock(d: DurabilityV1): string {
  const head = `<h3>durable set ${escapeHtml(d.bucket)}</h3>`;
  if (!d.last) return `${head}<p>${d.objects} objects, no check yet</p>`;
  const l = d.last;
  const found = Object.entries(l.findings).map(([s, c]) => `${c} ${escapeHtml(s)}`).join(', ');
  const failed = Object.entries(l.failures).map(([r, c]) => `${c} ${escapeHtml(r)}`).join(', ');
  const examples = l.findingExamples.map((f) => `<li>${escapeHtml(f.key)}: ${escapeHtml(f.state)}, ${escapeHtml(f.detail)}${f.rewritten ? ' (rewritten)' : ''}</li>`).join('');
  const pass = d.lastPass
    ? `last full pass ended ${escapeHtml(d.lastPass.endedAt)}: ${Object.entries(d.lastPass.objects).map(([s, c]) => `${c} ${escapeHtml(s)}`).join(', ')}`
    : 'no full pass yet';
  return `${head}<p>last check ${escapeHtml(l.startedAt)}: verified ${l.verified}, written ${l.filled}, stored ${l.stored ?? 'unknown'} of ${d.objects}; <b class="${failed ? 'bad' : 'ok'}">${failed ? `failures: ${failed}` : 'no failure'}</b>${found ? ` (findings: ${found})` : ''}; ${pass}</p>${examples ? `<ul>${examples}</ul>` : ''}`;
}

function targetSection(t: TargetStatusV1, s: StatusV1): string {
  const facts = [escapeHtml(t.endpoint), `bucket mode ${escapeHtml(t.bucketMode)}`];
  if (Object.keys(t.labels).length) facts.push(`labels ${kv(t.labels)}`);
  if (t.nodes) facts.push(`nodes: ${t.nodes}, ${t.probes.length} probed`);
  if (t.running) facts.push('running now');
  const probes = t.probes.map((p) => {
    const where = p.node === undefined ? t.name : `${t.name} node ${p.node}`;
    const head = p.node === undefined ? '' : `<h3>node ${escapeHtml(p.node)}</h3>`;
    const c = p.lastCycle;
    if (!c) return `${head}<p>no cycle finished yet</p>`;
    const verdict = `last cycle ${escapeHtml(c.startedAt)}: <b class="${c.success ? 'ok' : 'bad'}">${c.success ? 'success' : 'failure'}</b> in ${ms(c.durationSeconds)}, leftovers ${c.leftovers}${c.aborted ? ', cut by shutdown' : ''}${
      c.internalError === undefined ? '' : ` &middot; <b class="bad">internal error</b> (a bug in s3prober, logged): ${escapeHtml(c.internalError)}`}`;
    const w = renderWaterfall(c, `last cycle of ${where}: every operation on one time axis`);
    return `${head}<p>${verdict}</p><div class="cycle"><figure>${w.svg}<figcaption>${legend(w.phases)}</figcaption></figure>${historyTable(p.history, s.historySeconds)}</div><details><summary>the last cycle as a table</summary>${cycleTable(c)}</details>`;
  });
  return `<section class="target"><h2>${escapeHtml(t.name)}</h2><p>${facts.join(' &middot; ')}</p>${probes.join('')}${t.durability ? durabilityBlock(t.durability) : ''}</section>`;
}

function replicationSection(rs: ReplicationV1[], seconds: number): string {
  const last = (r: ReplicationV1, kind: string) => {
    const o = r.last.find((x) => x.kind === kind);
    if (!o) return '';
    return o.lagSeconds !== undefined
      ? `<span class="ok">${ms(o.lagSeconds)}</span> (${o.polls} polls)`
      : `<span class="bad">${escapeHtml(o.reason ?? 'failed')}</span>${o.detail ? `: ${escapeHtml(o.detail)}` : ''}`;
  };
  const hour = (r: ReplicationV1, kind: string) => {
    const h = r.history.find((x) => x.kind === kind)!;
    const n = `${h.replicated}/${h.replicated + h.failed}`;
    return h.replicated ? `${n}, lag p50 ${ms(h.p50LagSeconds)} p99 ${ms(h.p99LagSeconds)}` : n;
  };
  const rows = rs.map((r) => `<tr><td>${escapeHtml(r.name)}</td><td>${escapeHtml(r.source)} &rarr; ${escapeHtml(r.destination)}</td><td>${escapeHtml(r.bucket)}</td>`
    + `<td>${r.inFlight.object} / ${r.inFlight.delete}</td><td>${last(r, 'object')}</td><td>${last(r, 'delete')}</td><td>${hour(r, 'object')}</td><td>${hour(r, 'delete')}</td></tr>`);
  return `<section class="replication"><h2>replication</h2><table><caption>objects written at the source, polled at the destination until they arrive (timeouts as configured); last ${seconds / 60} minutes</caption>`
    + '<tr><th>replication</th><th>source &rarr; destination</th><th>bucket</th><th>in flight (objects / deletes)</th><th>last object</th><th>last delete</th><th>objects replicated</th><th>deletes replicated</th></tr>'
    + `${rows.join('')}</table></section>`;
}

const PHASE_CSS = (Object.entries(PHASE_STYLE) as [BarPhase, { colour: string }][]).map(([p, { colour }]) => `.p-${p}{fill:${colour};background:${colour}}`).join('');

export function renderStatusPage(s: StatusV1): string {
  const tracer = s.tracer.up ? `eBPF tracer up${s.tracer.hooks ? ` (${escapeHtml(s.tracer.hooks)} hooks)` : ''}` : `eBPF tracer off${s.tracer.reason ? `: ${escapeHtml(s.tracer.reason)}` : ''}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>s3prober</title><style>
body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;font-size:90%}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #ddd}
caption{text-align:left;font-weight:bold}.ok{color:#1a7f37}.bad{color:#cf222e}.skip{color:#888}
.cycle{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}figure{margin:0;max-width:760px}
.waterfall{font-size:11px;font-family:system-ui,sans-serif}.waterfall .tick{stroke:#eee}.waterfall .axis{fill:#666}
.waterfall .bar{fill:#f6f8fa;stroke:#8c959f}.waterfall .bad .bar{stroke:#cf222e;stroke-width:1.5}.waterfall .name{fill:#24292f}.waterfall .bad .name,.waterfall .reason{fill:#cf222e}
.waterfall .skip .name,.waterfall .note{fill:#888}.waterfall .val{fill:#57606a}.waterfall .size{fill:#888}
.legend{list-style:none;padding:0;margin:.3em 0;display:flex;flex-wrap:wrap;gap:.3em 1em;font-size:85%}.sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
.sw.bar{background:#f6f8fa;border:1px solid #8c959f}.sw.badbar{background:#f6f8fa;border:2px solid #cf222e}${PHASE_CSS}</style></head><body>
<h1>s3prober ${escapeHtml(s.version)}</h1><p><a href="/metrics">metrics</a> &middot; <a href="/api/v1/status">status API</a> &middot; ${tracer}</p>
${s.targets.map((t) => targetSection(t, s)).join('\n')}${s.replications?.length ? replicationSection(s.replications, s.historySeconds) : ''}</body></html>`;
}
