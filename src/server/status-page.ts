// A small human status page: every target with the last result of each operation, and where the
// tracer is up, the client-side vs wire-side duration per operation.
import type { CycleResult } from '../results/cycle.js';
import { scrubSecrets } from '../log/scrub.js';
import type { OperationWireStatus } from './wire-view.js';

/** operation -> the tracer's last joined request: client vs wire. */
export type WireView = Record<string, OperationWireStatus | undefined>;

export interface TargetStatus {
  name: string;
  /** The node behind the endpoint this row is about (per-node targets). */
  node?: string | undefined;
  endpoint: string;
  bucketMode: string;
  last?: CycleResult;
  running: boolean;
  wire?: WireView;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const ms = (s: number | undefined) => (s === undefined ? '' : `${(s * 1000).toFixed(2)} ms`);

/** Client vs wire for the last request of each operation the tracer joined. */
function wireTable(wire: WireView | undefined): string {
  const entries = Object.entries(wire ?? {}).filter((e): e is [string, OperationWireStatus] => e[1] !== undefined);
  if (!entries.length) return '<p>client vs wire: no request joined to the wire yet</p>';
  const rows = entries.map(([op, w]) =>
    `<tr><td>${escapeHtml(op)}</td><td>${ms(w.clientSeconds)}</td><td>${ms(w.wireSeconds)}</td><td>${ms(w.overheadSeconds)}</td><td>${ms(w.phases.connect)}</td><td>${ms(w.phases.tls)}</td><td>${ms(w.phases.server)}</td><td>${ms(w.phases.transfer)}</td><td>${w.newConnection ? 'new' : 'reused'}${w.tls ? ', TLS' : ''}</td><td>${w.count}</td></tr>`);
  return `<h3>client vs wire (last joined request)</h3><table><tr><th>operation</th><th>client</th><th>wire</th><th>client overhead</th><th>connect</th><th>tls</th><th>server</th><th>transfer</th><th>connection</th><th>joined</th></tr>${rows.join('')}</table>`;
}

export function renderStatusPage(targets: TargetStatus[], tracerUp: boolean, version: string): string {
  const sections = targets.map((t) => {
    const last = t.last;
    const head = `<h2>${escapeHtml(t.name)}${t.node === undefined ? '' : ` &middot; node ${escapeHtml(t.node)}`}</h2><p>${escapeHtml(t.endpoint)} &middot; bucket mode ${escapeHtml(t.bucketMode)} &middot; ${
      last
        ? `last cycle ${escapeHtml(new Date(last.startedAt).toISOString())}: <b class="${last.success ? 'ok' : 'bad'}">${last.success ? 'success' : 'failure'}</b> in ${ms(last.durationSeconds)}, leftovers ${last.leftovers}${
          last.internalError === undefined ? '' : ` &middot; <b class="bad">internal error</b> (a bug in s3prober, logged): ${escapeHtml(scrubSecrets(last.internalError))}`}`
        : 'no cycle finished yet'
    }${t.running ? ' &middot; running now' : ''}</p>`;
    if (!last) return head;
    const rows = last.operations.map((o) =>
      `<tr class="${o.outcome === 'success' ? 'ok' : o.outcome === 'failure' ? 'bad' : 'skip'}"><td>${escapeHtml(o.operation)}</td><td>${escapeHtml(o.size)}</td><td>${o.outcome}</td><td>${ms(o.durationSeconds)}</td><td>${o.bytes || ''}</td><td>${escapeHtml(o.reason ?? o.skippedBecause ?? '')}</td><td>${escapeHtml(scrubSecrets(o.errorCode ?? ''))}</td></tr>`);
    const table = `<table><tr><th>operation</th><th>size</th><th>result</th><th>latency</th><th>bytes</th><th>reason</th><th>code</th></tr>${rows.join('')}</table>`;
    return `${head}${table}${tracerUp ? wireTable(t.wire) : ''}`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>s3prober</title><style>
body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #ddd}
.ok{color:#1a7f37}.bad{color:#cf222e}.skip{color:#888}</style></head><body>
<h1>s3prober ${escapeHtml(version)}</h1><p><a href="/metrics">metrics</a> &middot; eBPF tracer ${tracerUp ? 'up' : 'off'}</p>
${sections.join('\n')}</body></html>`;
}
