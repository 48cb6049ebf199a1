// The /metrics text, rendered from prom-client's metric objects. prom-client's own registry
// rendering allocates an object per histogram bucket and formats every label set per line: at
// 300 targets (~190k lines) that was 0.4-2.5 s and a garbage collection storm per scrape
// (BENCHMARKS.md, scrape). Here a series' label set is formatted once, histogram buckets and summary
// quantiles are read in place, and a histogram series' text is kept until its next observation
// (prerender() renders it when its target's cycle ends). Counters, gauges and anything with a collect
// callback go through prom-client's public get(). test/metrics/exposition.test.ts holds the output to be the
// same samples as prom-client's own rendering, so an upgrade that changes its internals fails there.
import { Histogram, Registry, Summary, type Metric } from 'prom-client';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  prometheus: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
};

type Labels = Record<string, string | number>;

/** The parts of prom-client's Histogram read in place (stable since v12; see the test). */
interface HistogramInternals {
  name: string;
  help: string;
  upperBounds: readonly number[];
  collect?: unknown;
  hashMap: Record<string, { labels: Labels; bucketValues: Record<string, number>; sum: number; count: number }>;
}

/** The parts of prom-client's Summary read in place. */
interface SummaryInternals {
  name: string;
  help: string;
  percentiles: readonly number[];
  collect?: unknown;
  pruneAgedBuckets?: boolean;
  hashMap: Record<string, { labels: Labels; td: { percentile(q: number): number }; sum: number; count: number }>;
}

interface MetricValue {
  labels?: Labels;
  sharedLabels?: Labels;
  value: number;
  metricName?: string;
}

const NEEDS_ESCAPE = /[\\\n"]/;

function escapeValue(v: string): string {
  return NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v;
}

function formatLabels(labels: Labels | undefined): string {
  let s = '';
  if (!labels) return s;
  for (const k in labels) {
    const v = labels[k];
    if (v === undefined) continue;
    s += `${s ? ',' : ''}${k}="${escapeValue(String(v))}"`;
  }
  return s;
}

// A series' label text, kept as long as prom-client keeps the series: counters and histograms keep
// their first label object for the life of a series (gauges replace theirs on every set).
const labelText = new WeakMap<object, string>();

function cachedLabels(labels: Labels | undefined): string {
  if (!labels) return '';
  let s = labelText.get(labels);
  if (s === undefined) {
    s = formatLabels(labels);
    labelText.set(labels, s);
  }
  return s;
}

function formatNumber(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}

/** An append-only byte buffer: the text is written once, as bytes, instead of as a rope of
 *  strings that must be flattened and then encoded again for the socket. Short strings are joined
 *  first: one write per line would cost a native call each (~9k counter lines at 300 targets). */
class Writer {
  private buf: Buffer;
  private off = 0;
  private pending = '';
  constructor(sizeHint: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64 * 1024, sizeHint));
  }
  private room(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }
  private write(s: string): void {
    this.room(s.length * 3); // the most a UTF-16 unit can take in UTF-8
    this.off += this.buf.write(s, this.off);
  }
  private flush(): void {
    if (!this.pending) return;
    this.write(this.pending);
    this.pending = '';
  }
  text(s: string): void {
    if (s.length >= 512) {
      this.flush();
      this.write(s);
      return;
    }
    this.pending += s;
    if (this.pending.length >= 8 * 1024) this.flush();
  }
  result(): Buffer {
    this.flush();
    return this.buf.subarray(0, this.off);
  }
}

function header(w: Writer, name: string, help: string, type: string): void {
  w.text(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`);
}

/** The _sum and _count lines that close a histogram's or a summary's series. */
function sumAndCount(name: string, labels: string, sum: number, count: number): string {
  const braces = labels ? `{${labels}}` : '';
  return `${name}_sum${braces} ${formatNumber(sum)}\n${name}_count${braces} ${count}\n`;
}

function isPlainHistogram(m: Metric): boolean {
  const h = m as unknown as Partial<HistogramInternals>;
  return m instanceof Histogram && !h.collect && typeof h.hashMap === 'object' && Array.isArray(h.upperBounds);
}

function isPlainSummary(m: Metric): boolean {
  const x = m as unknown as Partial<SummaryInternals>;
  return m instanceof Summary && !x.collect && !x.pruneAgedBuckets && typeof x.hashMap === 'object' && Array.isArray(x.percentiles);
}

/** prom-client compresses every age bucket's t-digest of every series before it reads one of them;
 *  the quantiles need only the current bucket, and a digest answers without being compressed. */
function renderSummary(w: Writer, m: Metric): void {
  const x = m as unknown as SummaryInternals;
  header(w, x.name, x.help, 'summary');
  const qs = x.percentiles.map((q) => `quantile="${formatNumber(q)}"`);
  for (const key in x.hashMap) {
    const e = x.hashMap[key]!;
    const l = cachedLabels(e.labels);
    let chunk = '';
    for (let i = 0; i < qs.length; i++) chunk += `${x.name}{${qs[i]}${l ? `,${l}` : ''}} ${formatNumber(e.td.percentile(x.percentiles[i]!) || 0)}\n`;
    w.text(chunk + sumAndCount(x.name, l, e.sum, e.count));
  }
}

// A histogram series' text, kept with the count it was rendered at: prom-client updates a series
// in place and every observation adds to its count, so an unchanged count means unchanged text.
// Most series of a scrape were rendered by prerender() after their target's cycle, not by it.
const seriesText = new WeakMap<object, { count: number; text: string }>();

type HistogramEntry = HistogramInternals['hashMap'][string];

function histogramSeries(h: HistogramInternals, les: readonly string[], e: HistogramEntry): string {
  const cached = seriesText.get(e);
  if (cached && cached.count === e.count) return cached.text;
  const l = cachedLabels(e.labels);
  const open = `${h.name}_bucket{${l ? `${l},` : ''}`;
  let text = '';
  let acc = 0;
  for (let i = 0; i < les.length; i++) {
    acc += e.bucketValues[h.upperBounds[i] as unknown as string] ?? 0;
    text += `${open}${les[i]}${acc}\n`;
  }
  text += `${open}le="+Inf"} ${e.count}\n${sumAndCount(h.name, l, e.sum, e.count)}`;
  seriesText.set(e, { count: e.count, text });
  return text;
}

const leText = new WeakMap<object, string[]>();

function lesOf(h: HistogramInternals): string[] {
  let les = leText.get(h);
  if (!les) {
    les = h.upperBounds.map((b) => `le="${formatNumber(b)}"} `);
    leText.set(h, les);
  }
  return les;
}

function renderHistogram(w: Writer, m: Metric): void {
  const h = m as unknown as HistogramInternals;
  const les = lesOf(h);
  header(w, h.name, h.help, 'histogram');
  for (const key in h.hashMap) w.text(histogramSeries(h, les, h.hashMap[key]!));
}

type MetricData = { name: string; help: string; type: string; values: MetricValue[] };

function renderGeneric(w: Writer, d: MetricData, format: ExpositionFormat): void {
  // OpenMetrics names a counter family without _total and each of its samples with it.
  const counter = format === 'openmetrics' && d.type === 'counter';
  const family = counter ? d.name.replace(/_total$/, '') : d.name;
  header(w, family, d.help, d.type);
  for (const v of d.values) {
    const name = counter ? `${family}_total` : (v.metricName ?? d.name);
    const own = cachedLabels(v.labels);
    const shared = cachedLabels(v.sharedLabels);
    const l = own && shared ? `${shared},${own}` : own || shared;
    w.text(`${name}${l ? `{${l}}` : ''} ${formatNumber(v.value)}\n`);
  }
}

let lastSize = 0;

/** Every metric of the registries: histograms and summaries first, in registration order, then
 *  the rest in registration order. Names must not repeat across the registries. */
export async function renderMetrics(registries: Registry[], format: ExpositionFormat): Promise<Buffer> {
  const w = new Writer(lastSize + (lastSize >> 3));
  const rest: Promise<MetricData>[] = [];
  for (const r of registries) {
    for (const m of r.getMetricsAsArray() as unknown as Metric[]) {
      if (isPlainHistogram(m)) renderHistogram(w, m);
      else if (isPlainSummary(m)) renderSummary(w, m);
      // started now, awaited after the histograms: some collect callbacks wait for the event loop
      // (prom-client's event-loop lag waits a setImmediate), which must not split the render
      else rest.push(m.get() as unknown as Promise<MetricData>);
    }
  }
  for (const d of await Promise.all(rest)) renderGeneric(w, d, format);
  if (format === 'openmetrics') w.text('# EOF\n');
  const out = w.result();
  lastSize = out.length;
  return out;
}

/** Renders the histogram series that changed since they were last rendered, so that the next
 *  scrape copies them instead (call it when a target's cycle has ended; a scrape never depends on
 *  it: a series that changed afterwards is rendered by the scrape). */
export function prerender(registries: Registry[]): void {
  for (const r of registries) {
    for (const m of r.getMetricsAsArray() as unknown as Metric[]) {
      if (!isPlainHistogram(m)) continue;
      const h = m as unknown as HistogramInternals;
      const les = lesOf(h);
      for (const key in h.hashMap) histogramSeries(h, les, h.hashMap[key]!);
    }
  }
}
