// The /metrics text, rendered from prom-client's metric objects. prom-client's own registry
// rendering allocates an object per histogram bucket and formats every label set per line, which at
// hundreds of targets cost a garbage collection storm per scrape (BENCHMARKS.md, scrape). Here the
// state of counters, gauges, histograms and summaries is read in place (prom-internals.ts), and a
// family's series are kept as one text part (and its gzip) per target until one of them changes
// (series-groups.ts); prerender() renders them when a target's cycle ends, so a scrape mostly joins
// kept parts. Anything else (a collect callback, another class) goes through prom-client's public
// get(). test/unit/exposition/exposition.test.ts holds the output to be the same samples as prom-client's.
import { Registry, type Metric } from 'prom-client';
import { deflateAll, gzipOf, keptText, Part, textOf } from './gzip-parts.js';
import { histogramKind, summaryKind, valueKind } from './kinds.js';
import { metricData, metricsOf, plainMetric, type Labels, type MetricData, type PlainMetric } from './prom-internals.js';
import { SeriesGroups, type FamilyKind } from './series-groups.js';
import { cachedLabels, counterNames, formatNumber, header, type ExpositionFormat } from './text.js';

export type { ExpositionFormat } from './text.js';

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  prometheus: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
};

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

/** A family's kept text: its HELP/TYPE lines and its series groups. */
interface Family {
  header: Part;
  groups: SeriesGroups<{ labels: Labels }>;
}

// Each plain metric's family, as long as prom-client keeps the metric (a counter's per format).
const families = new WeakMap<Metric, Partial<Record<ExpositionFormat, Family>>>();

function newFamily(p: PlainMetric, format: ExpositionFormat): Family {
  const names = p.kind === 'counter' ? counterNames(p.name, format) : { family: p.name, sample: p.name };
  const kind = p.kind === 'histogram' ? histogramKind(p.name, p.upperBounds, p.exemplars && format === 'openmetrics') : p.kind === 'summary' ? summaryKind(p.name, p.percentiles) : valueKind(names.sample);
  return {
    header: new Part(keptText(header(names.family, p.help, p.kind)), true),
    // by the first label: the target, for every target-scoped family
    groups: new SeriesGroups(kind as FamilyKind<{ labels: Labels }>, p.labelNames?.[0]),
  };
}

/** The family's parts, rendering only the groups that changed since last time. */
function familyParts(m: Metric, p: PlainMetric, format: ExpositionFormat, out: Part[]): void {
  // the text differs by format only for counters and for histograms with exemplars
  const key = p.kind === 'counter' || (p.kind === 'histogram' && p.exemplars) ? format : 'prometheus';
  let byFormat = families.get(m);
  if (!byFormat) {
    byFormat = {};
    families.set(m, byFormat);
  }
  let f = byFormat[key];
  if (!f) {
    f = newFamily(p, format);
    byFormat[key] = f;
  }
  out.push(f.header);
  f.groups.parts(p.hashMap as Record<string, { labels: Labels }>, out);
}

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
  const metrics = metricsOf(registries).map((m) => ({ m, plain: plainMetric(m) }));
  // Collect callbacks first: the render that follows is one synchronous pass, so no turn of the
  // event loop (a burst of cycle work) splits it.
  const collected = new Map<Metric, MetricData>();
  await Promise.all(metrics.filter((x) => !x.plain).map(async ({ m }) => collected.set(m, await metricData(m))));
  const w = new Writer();
  const kept: Part[] = [];
  for (const { m, plain } of metrics) {
    if (!plain) {
      renderGeneric(w, collected.get(m)!, format);
      continue;
    }
    familyParts(m, plain, format, kept);
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
  for (const m of metricsOf(registries)) {
    const plain = plainMetric(m);
    if (!plain) continue;
    familyParts(m, plain, lastFormat, parts);
    // a family's parts follow one another in the exposition as here: compressed ahead, as gzip will ask
    if (compressAhead) deflateAll(parts);
    parts.length = 0;
  }
}
