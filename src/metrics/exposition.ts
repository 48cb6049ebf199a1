// The /metrics text, rendered from prom-client's metric objects. prom-client's own registry
// rendering allocates an object per histogram bucket and formats every label set per line: at
// 300 targets (~190k lines) that was 0.4-2.5 s and a garbage collection storm per scrape
// (BENCHMARKS.md, scrape). Here the state of counters, gauges, histograms and summaries is read in
// place, and a family's series are kept as one text part (and its gzip) per target until one of
// them changes (series-groups.ts); prerender() renders them when a target's cycle ends, so a scrape
// mostly joins kept parts. Anything else (a collect callback, another class) goes through
// prom-client's public get(). test/metrics/exposition.test.ts holds the output to be the same
// samples as prom-client's own rendering, so an upgrade that changes its internals fails there.
import { Counter, Gauge, Histogram, Registry, Summary, type Metric } from 'prom-client';
import { deflateAll, gzipOf, keptText, Part, textOf } from './gzip-parts.js';
import { SeriesGroups, type FamilyKind } from './series-groups.js';

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

/** The text of one render: fresh text joined into parts, between the kept parts of grouped families. */
class Writer {
  readonly parts: Part[] = [];
  private pending = '';
  text(s: string): void {
    this.pending += s;
  }
  part(p: Part): void {
    this.cut();
    this.parts.push(p);
  }
  cut(): void {
    if (!this.pending) return;
    this.parts.push(new Part(Buffer.from(this.pending, 'utf8')));
    this.pending = '';
  }
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}

/** The _sum and _count lines that close a histogram's or a summary's series. */
function sumAndCount(name: string, labels: string, sum: number, count: number): string {
  const braces = labels ? `{${labels}}` : '';
  return `${name}_sum${braces} ${formatNumber(sum)}\n${name}_count${braces} ${count}\n`;
}

/** The state of a counter or gauge read in place. */
interface ValueInternals {
  name: string;
  help: string;
  collect?: unknown;
  hashMap: Record<string, { labels: Labels; value: number }>;
}

type Kind = 'histogram' | 'summary' | 'counter' | 'gauge';

/** The kind of a metric whose state can be read in place; undefined for anything else (a collect
 *  callback, another class), which goes through prom-client's public get(). */
function plainKind(m: Metric): Kind | undefined {
  const x = m as unknown as Partial<HistogramInternals & SummaryInternals & ValueInternals>;
  if (x.collect || typeof x.hashMap !== 'object') return undefined;
  if (m instanceof Histogram) return Array.isArray(x.upperBounds) ? 'histogram' : undefined;
  if (m instanceof Summary) return Array.isArray(x.percentiles) && !x.pruneAgedBuckets ? 'summary' : undefined;
  if (m instanceof Counter) return 'counter';
  if (m instanceof Gauge) return 'gauge';
  return undefined;
}

type SummaryEntry = SummaryInternals['hashMap'][string];
type HistogramEntry = HistogramInternals['hashMap'][string];
type ValueEntry = ValueInternals['hashMap'][string];

/** A summary's window rotates on reading: the rotation's time tells that its quantiles moved. */
interface WindowedDigest {
  size?(): number;
  lastRotateTimestampMillis?: number;
}

const byCount = (e: { count: number }) => e.count;

/** prom-client compresses every age bucket's t-digest of every series before it reads one of them;
 *  the quantiles need only the current bucket, and a digest answers without being compressed. */
function summaryKind(x: SummaryInternals): FamilyKind<SummaryEntry> {
  const qs = x.percentiles.map((q) => `quantile="${formatNumber(q)}"`);
  return {
    version: byCount,
    revision(e) {
      const td = e.td as unknown as WindowedDigest;
      td.size?.(); // rotates the window if its time has come
      return td.lastRotateTimestampMillis ?? 0;
    },
    render(e) {
      const l = cachedLabels(e.labels);
      let text = '';
      for (let i = 0; i < qs.length; i++) text += `${x.name}{${qs[i]}${l ? `,${l}` : ''}} ${formatNumber(e.td.percentile(x.percentiles[i]!) || 0)}\n`;
      return text + sumAndCount(x.name, l, e.sum, e.count);
    },
  };
}

function histogramKind(h: HistogramInternals): FamilyKind<HistogramEntry> {
  const les = h.upperBounds.map((b) => `le="${formatNumber(b)}"} `);
  return {
    version: byCount,
    render(e) {
      const l = cachedLabels(e.labels);
      const open = `${h.name}_bucket{${l ? `${l},` : ''}`;
      let text = '';
      let acc = 0;
      for (let i = 0; i < les.length; i++) {
        acc += e.bucketValues[h.upperBounds[i] as unknown as string] ?? 0;
        text += `${open}${les[i]}${acc}\n`;
      }
      return `${text}${open}le="+Inf"} ${e.count}\n${sumAndCount(h.name, l, e.sum, e.count)}`;
    },
  };
}

/** A counter's or gauge's samples; `sample` is the sample name (a counter's differs by format). */
function valueKind(sample: string): FamilyKind<ValueEntry> {
  return {
    version: (e) => e.value,
    render(e) {
      const l = cachedLabels(e.labels);
      return `${sample}${l ? `{${l}}` : ''} ${formatNumber(e.value)}\n`;
    },
  };
}

/** OpenMetrics names a counter family without _total and each of its samples with it. */
function counterNames(name: string, format: ExpositionFormat): { family: string; sample: string } {
  if (format !== 'openmetrics') return { family: name, sample: name };
  const family = name.replace(/_total$/, '');
  return { family, sample: `${family}_total` };
}

type AnyGroups = SeriesGroups<{ labels: Labels }>;

/** A family's kept text: its HELP/TYPE lines and its series groups. */
interface Family {
  header: Part;
  groups: AnyGroups;
}

// Each plain metric's family, as long as prom-client keeps the metric (a counter's per format).
const families = new WeakMap<Metric, Partial<Record<ExpositionFormat, Family>>>();

/** The family's parts, rendering only the groups that changed since last time. */
function familyParts(m: Metric, kind: Kind, format: ExpositionFormat, out: Part[]): void {
  const x = m as unknown as HistogramInternals & SummaryInternals & ValueInternals & { labelNames?: string[] };
  // the text differs by format only for counters
  const key = kind === 'counter' ? format : 'prometheus';
  let byFormat = families.get(m);
  if (!byFormat) families.set(m, (byFormat = {}));
  let f = byFormat[key];
  if (!f) {
    const names = kind === 'counter' ? counterNames(x.name, format) : { family: x.name, sample: x.name };
    const k = kind === 'histogram' ? histogramKind(x) : kind === 'summary' ? summaryKind(x) : valueKind(names.sample);
    f = {
      header: new Part(keptText(header(names.family, x.help, kind)), true),
      // by the first label: the target, for every target-scoped family
      groups: new SeriesGroups(k as unknown as FamilyKind<{ labels: Labels }>, x.labelNames?.[0]),
    };
    byFormat[key] = f;
  }
  out.push(f.header);
  f.groups.parts(x.hashMap, out);
}

type MetricData = { name: string; help: string; type: string; values: MetricValue[] };

function renderGeneric(w: Writer, d: MetricData, format: ExpositionFormat): void {
  const counter = d.type === 'counter';
  const { family, sample } = counter ? counterNames(d.name, format) : { family: d.name, sample: d.name };
  w.text(header(family, d.help, d.type));
  for (const v of d.values) {
    const name = counter ? sample : (v.metricName ?? d.name);
    const own = cachedLabels(v.labels);
    const shared = cachedLabels(v.sharedLabels);
    const l = own && shared ? `${shared},${own}` : own || shared;
    w.text(`${name}${l ? `{${l}}` : ''} ${formatNumber(v.value)}\n`);
  }
}

/** One rendered exposition: its text, or that text as gzip from the parts' kept compression. */
export class Exposition {
  /** The text's length in bytes. */
  readonly length: number;
  constructor(readonly parts: readonly Part[]) {
    this.length = parts.reduce((n, p) => n + p.text.length, 0);
  }
  text(): Buffer {
    return textOf(this.parts);
  }
  gzip(): Buffer {
    compressAhead = true;
    return gzipOf(this.parts);
  }
}

// What scrapes asked for: prerender() renders counters in the last scrape's format and, from the
// first gzip scrape on, compresses what it renders.
let lastFormat: ExpositionFormat = 'prometheus';
let compressAhead = false;

/** Every metric of the registries in registration order. Names must not repeat across them. */
export async function renderMetrics(registries: Registry[], format: ExpositionFormat): Promise<Exposition> {
  lastFormat = format;
  const metrics = registries.flatMap((r) => r.getMetricsAsArray() as unknown as Metric[]).map((m) => ({ m, kind: plainKind(m) }));
  // Collect callbacks first: the render that follows is one synchronous pass, so no turn of the
  // event loop (a burst of cycle work) splits it.
  const collected = new Map<Metric, MetricData>();
  await Promise.all(metrics.filter((x) => !x.kind).map(async ({ m }) => collected.set(m, (await m.get()) as unknown as MetricData)));
  const w = new Writer();
  const kept: Part[] = [];
  for (const { m, kind } of metrics) {
    if (!kind) {
      renderGeneric(w, collected.get(m)!, format);
      continue;
    }
    familyParts(m, kind, format, kept);
    for (const p of kept) w.part(p);
    kept.length = 0;
  }
  if (format === 'openmetrics') w.text('# EOF\n');
  w.cut();
  return new Exposition(w.parts);
}

/** Renders (and, once gzip is asked for, compresses) the groups that changed since they were last
 *  rendered, so that the next scrape copies them instead. Call it when a target's cycle has ended;
 *  a scrape never depends on it: a group that changed afterwards is rendered by the scrape. */
export function prerender(registries: Registry[]): void {
  const parts: Part[] = [];
  for (const r of registries) {
    for (const m of r.getMetricsAsArray() as unknown as Metric[]) {
      const kind = plainKind(m);
      if (!kind) continue;
      familyParts(m, kind, lastFormat, parts);
      // a family's parts follow one another in the exposition as here: compressed ahead, as gzip will ask
      if (compressAhead) deflateAll(parts);
      parts.length = 0;
    }
  }
}
