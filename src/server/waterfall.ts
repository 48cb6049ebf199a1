// The waterfall of a cycle as inline SVG: every operation a row on one time axis, its bar split
// into the phases measured (the kernel's when the tracer joined the request, the client's when
// not), failures marked with their reason. Readable without JavaScript: each row carries its text
// as <title> and aria-label; the page adds a legend and a table.
import type { CycleV1, OperationV1 } from './status-schema.js';

/** Every phase a bar can show, in the order they are drawn, with its legend text and colour. */
export const PHASE_STYLE = {
  prepare: { label: 'prepare (SDK: serialize, sign)', colour: '#b07aa1' },
  resolve: { label: 'resolve', colour: '#9c755f' },
  connect: { label: 'connect', colour: '#f28e2b' },
  tls: { label: 'TLS', colour: '#edc948' },
  request: { label: 'request (sending)', colour: '#76b7b2' },
  server: { label: 'server (waiting for the first byte)', colour: '#4e79a7' },
  processing: { label: 'processing (client: sent -> headers, tracer did not join)', colour: '#a0cbe8' },
  transfer: { label: 'transfer (receiving)', colour: '#59a14f' },
  overhead: { label: 'client overhead', colour: '#bab0ac' },
} as const;
export type BarPhase = keyof typeof PHASE_STYLE;

export interface Segment {
  phase: BarPhase;
  /** From the operation's start. */
  startSeconds: number;
  seconds: number;
  /** kernel: measured by the eBPF tracer; client: by the S3 client. */
  source: 'client' | 'kernel';
}

const WIRE_ORDER = ['connect', 'tls', 'request', 'server', 'transfer'] as const;
const CLIENT_ORDER = ['resolve', 'connect', 'tls', 'processing', 'transfer'] as const;

/** The measured phases of an operation: prepare, then each request from its own start. A joined
 *  request shows the kernel's phases where the kernel saw them, and the client overhead in what is
 *  left of the request before and after them (or, without the kernel's timestamps, after them, as
 *  one length); one not joined, the client's phases end to end. */
export function segmentsOf(op: OperationV1): Segment[] {
  const out: Segment[] = [];
  if (op.prepareSeconds !== undefined) out.push({ phase: 'prepare', startSeconds: 0, seconds: op.prepareSeconds, source: 'client' });
  const base = op.prepareSeconds ?? 0;
  for (const r of op.requests) {
    const start = base + r.offsetSeconds;
    let at = start;
    const add = (phase: BarPhase, seconds: number | undefined, source: Segment['source']) => {
      if (seconds === undefined) return;
      out.push({ phase, startSeconds: at, seconds, source });
      at += seconds;
    };
    const w = r.wire;
    if (w && placeable(w)) {
      const measured = WIRE_ORDER.filter((p) => w.phases[p] !== undefined);
      // Node may report a request issued after the kernel began connecting: drawn from the issue
      const from = (p: (typeof WIRE_ORDER)[number]) => Math.max(0, w.phaseStarts![p]!);
      const first = from(measured[0]!);
      if (first > 0) out.push({ phase: 'overhead', startSeconds: start, seconds: first, source: 'kernel' });
      let end = 0;
      for (const p of measured) {
        const seconds = Math.max(0, w.phaseStarts![p]! + w.phases[p]! - from(p));
        out.push({ phase: p, startSeconds: start + from(p), seconds, source: 'kernel' });
        end = Math.max(end, from(p) + seconds);
      }
      if (r.durationSeconds !== undefined && r.durationSeconds > end) out.push({ phase: 'overhead', startSeconds: start + end, seconds: r.durationSeconds - end, source: 'kernel' });
    } else if (w) {
      for (const p of WIRE_ORDER) add(p, w.phases[p], 'kernel');
      add('overhead', w.overheadSeconds, 'kernel');
    } else {
      for (const p of CLIENT_ORDER) add(p, r.clientPhases[p], 'client');
    }
  }
  return out;
}

/** Every measured kernel phase has its start. */
const placeable = (w: NonNullable<OperationV1['requests'][number]['wire']>) =>
  w.phaseStarts !== undefined && WIRE_ORDER.some((p) => w.phases[p] !== undefined) && WIRE_ORDER.every((p) => w.phases[p] === undefined || w.phaseStarts![p] !== undefined);

/** The operation's whole bar: a success's prepare and duration; a failure's duration (the whole call). */
const spanOf = (op: OperationV1) =>
  op.durationSeconds === undefined ? undefined : op.durationSeconds + (op.outcome === 'success' ? op.prepareSeconds ?? 0 : 0);

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function ms(s: number | null | undefined): string {
  if (s === undefined || s === null) return '';
  const m = s * 1000;
  return `${m >= 100 ? m.toFixed(0) : m >= 10 ? m.toFixed(1) : m.toFixed(2)} ms`;
}

/** What a failed operation's reason reads as: reason, HTTP status and error code. */
export function failureText(op: OperationV1): string {
  return [op.reason ?? 'other', op.httpStatus === undefined ? '' : `HTTP ${op.httpStatus}`, op.errorCode ?? ''].filter(Boolean).join(', ');
}

/** One line that says everything the row shows. */
function describeOperation(op: OperationV1): string {
  const name = `${op.operation}${op.size ? ` ${op.size}` : ''}`;
  if (op.outcome === 'skipped') return `${name}: skipped (${op.skippedBecause ?? 'not run'})`;
  const head = op.outcome === 'failure' ? `${name}: failure (${failureText(op)})` : `${name}: success`;
  const parts = segmentsOf(op).map((s) => `${PHASE_STYLE[s.phase].label.split(' (')[0]} ${ms(s.seconds)}${s.source === 'kernel' ? ' (kernel)' : ''}`);
  return `${head} in ${ms(spanOf(op))}, starting at ${ms(op.startOffsetSeconds)}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/** 1, 2 or 5 times a power of ten: at most `max` steps over `total`. */
function tickStep(total: number, max = 6): number {
  const raw = total / max;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

const W = 760;
/** Roughly the width of a character of the SVG's 11 px font, to place a reason where it fits. */
const CHAR_W = 6;
const LABEL_W = 150;
const BAR_W = 420;
const ROW = 20;
const TOP = 24;
const n = (v: number) => Number(v.toFixed(2));

/** The SVG and the phases it used (for the legend). */
export function renderWaterfall(cycle: CycleV1, caption: string): { svg: string; phases: Set<BarPhase> } {
  const ops = cycle.operations;
  const total = Math.max(cycle.durationSeconds, ...ops.map((o) => o.startOffsetSeconds + (spanOf(o) ?? 0)), 1e-3);
  const x = (s: number) => LABEL_W + (Math.min(Math.max(s, 0), total) / total) * BAR_W;
  const used = new Set<BarPhase>();
  const step = tickStep(total);
  const ticks: string[] = [];
  for (let t = 0; t <= total + 1e-9; t += step) {
    ticks.push(`<line class="tick" x1="${n(x(t))}" x2="${n(x(t))}" y1="${TOP - 4}" y2="${TOP + ops.length * ROW}"/><text class="axis" x="${n(x(t))}" y="${TOP - 8}" text-anchor="middle">${Number((t * 1000).toFixed(3))} ms</text>`);
  }
  const rows = ops.map((op, i) => {
    const y = TOP + i * ROW;
    const text = describeOperation(op);
    const cls = op.outcome === 'success' ? 'ok' : op.outcome === 'failure' ? 'bad' : 'skip';
    const label = `<text class="name" x="${LABEL_W - 6}" y="${y + 14}" text-anchor="end">${escapeHtml(op.operation)}${op.size ? ` <tspan class="size">${escapeHtml(op.size)}</tspan>` : ''}</text>`;
    const span = spanOf(op);
    let body: string;
    if (span === undefined) {
      body = `<text class="note" x="${n(x(op.startOffsetSeconds) + 2)}" y="${y + 14}">skipped: ${escapeHtml(op.skippedBecause ?? '')}</text>`;
    } else {
      const x0 = x(op.startOffsetSeconds);
      const segs = segmentsOf(op).map((s) => {
        used.add(s.phase);
        const sx = x(op.startOffsetSeconds + s.startSeconds);
        const w = Math.max(x(op.startOffsetSeconds + s.startSeconds + s.seconds) - sx, 0.5);
        return `<rect class="seg p-${s.phase}" data-phase="${s.phase}" x="${n(sx)}" y="${y + 4}" width="${n(w)}" height="12"/>`;
      });
      const end = x(op.startOffsetSeconds + span);
      const note = op.outcome === 'failure' ? `\u2717 ${failureText(op)}` : ms(span);
      // right of the bar, or left of it when only that side has room
      const left = end + 4 + note.length * CHAR_W > W && x0 - 4 - note.length * CHAR_W >= LABEL_W;
      const after = `<text class="${op.outcome === 'failure' ? 'reason' : 'val'}" x="${n(left ? x0 - 4 : end + 4)}" y="${y + 14}"${left ? ' text-anchor="end"' : ''}>${escapeHtml(note)}</text>`;
      body = `<rect class="bar" x="${n(x0)}" y="${y + 3}" width="${n(Math.max(end - x0, 1))}" height="14"/>${segs.join('')}${after}`;
    }
    return `<g class="op ${cls}" role="img" aria-label="${escapeHtml(text)}" data-operation="${escapeHtml(op.operation)}" data-outcome="${op.outcome}"><title>${escapeHtml(text)}</title>${label}${body}</g>`;
  });
  const h = TOP + ops.length * ROW + 6;
  const svg = `<svg class="waterfall" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="group" aria-label="${escapeHtml(caption)}"><title>${escapeHtml(caption)}</title>${ticks.join('')}${rows.join('')}</svg>`;
  return { svg, phases: used };
}
