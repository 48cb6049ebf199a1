// The one seam between the renderer and prom-client's internals: the state of its counters, gauges,
// histograms and summaries read in place (stable since prom-client v12). Every cast to those
// internals lives here; test/unit/exposition/prom-internals.test.ts holds them to prom-client's own
// rendering, so an upgrade that changes them fails there, not in production.
import { Counter, Gauge, Histogram, Summary, type Metric, type Registry } from 'prom-client';

export type Labels = Record<string, string | number>;

/** An OpenMetrics exemplar as prom-client keeps it (timestamp: Unix seconds). */
export interface Exemplar { labelSet: Labels; value: number; timestamp?: number }
/** bucketExemplars: with exemplars enabled, the last exemplar of each bucket by its upper bound
 *  (prom-client keys +Inf's as -1). */
export interface HistogramEntry { labels: Labels; bucketValues: Record<string, number>; bucketExemplars?: Record<string, Exemplar | null>; sum: number; count: number }
export interface SummaryEntry { labels: Labels; td: { percentile(q: number): number }; sum: number; count: number }
export interface ValueEntry { labels: Labels; value: number }

interface Common<E> {
  name: string;
  help: string;
  labelNames?: string[];
  hashMap: Record<string, E>;
}

/** A metric whose state can be read in place, by kind. */
export type PlainMetric =
  | ({ kind: 'histogram'; upperBounds: readonly number[]; exemplars: boolean } & Common<HistogramEntry>)
  | ({ kind: 'summary'; percentiles: readonly number[] } & Common<SummaryEntry>)
  | ({ kind: 'counter' | 'gauge' } & Common<ValueEntry>);

export type PlainKind = PlainMetric['kind'];

/** prom-client's public rendering of a metric (collect callbacks, other classes). */
export interface MetricData {
  name: string;
  help: string;
  type: string;
  values: { labels?: Labels; sharedLabels?: Labels; value: number; metricName?: string }[];
}

type Raw = Partial<{ name: string; help: string; labelNames: string[]; collect: unknown; hashMap: unknown; upperBounds: unknown; percentiles: unknown; pruneAgedBuckets: boolean; enableExemplars: boolean }>;

// One view per metric object, so the renderer's per-metric caches can key on it.
const views = new WeakMap<Metric, PlainMetric | null>();

/** The metric's state as a plain view; undefined for a metric with a collect callback or of
 *  another class, which goes through prom-client's public get(). */
export function plainMetric(m: Metric): PlainMetric | undefined {
  let v = views.get(m);
  if (v === undefined) {
    v = readPlain(m) ?? null;
    views.set(m, v);
  }
  return v ?? undefined;
}

function readPlain(m: Metric): PlainMetric | undefined {
  const x = m as unknown as Raw;
  if (x.collect || typeof x.hashMap !== 'object' || !x.name || x.help === undefined) return undefined;
  let kind: PlainKind;
  if (m instanceof Histogram) kind = 'histogram';
  else if (m instanceof Summary) kind = 'summary';
  else if (m instanceof Counter) kind = 'counter';
  else if (m instanceof Gauge) kind = 'gauge';
  else return undefined;
  if (kind === 'histogram' && !Array.isArray(x.upperBounds)) return undefined;
  if (kind === 'summary' && (!Array.isArray(x.percentiles) || x.pruneAgedBuckets)) return undefined;
  return {
    kind, name: x.name, help: x.help, labelNames: x.labelNames,
    upperBounds: x.upperBounds as number[], percentiles: x.percentiles as number[], exemplars: x.enableExemplars === true,
    // read live: reset() replaces the map
    get hashMap() { return x.hashMap as Record<string, never>; },
  } as PlainMetric;
}

/** Every metric of the registries, in registration order. */
export function metricsOf(registries: readonly Registry[]): Metric[] {
  return registries.flatMap((r) => r.getMetricsAsArray() as unknown as Metric[]);
}

/** prom-client's public rendering of one metric. */
export async function metricData(m: Metric): Promise<MetricData> {
  return (await m.get()) as unknown as MetricData;
}

/** A histogram bucket's count (prom-client keys buckets by their upper bound). */
export function bucketCount(e: HistogramEntry, upperBound: number): number {
  return e.bucketValues[upperBound as unknown as string] ?? 0;
}

/** A histogram bucket's exemplar, if it has one (upperBound Infinity: the +Inf bucket). */
export function bucketExemplar(e: HistogramEntry, upperBound: number): Exemplar | undefined {
  return e.bucketExemplars?.[upperBound === Infinity ? '-1' : (upperBound as unknown as string)] ?? undefined;
}

/** A summary's window rotates on reading: its last rotation tells that its quantiles moved. */
export function summaryRevision(e: SummaryEntry): number {
  const td = e.td as unknown as { size?(): number; lastRotateTimestampMillis?: number };
  td.size?.(); // rotates the window if its time has come
  return td.lastRotateTimestampMillis ?? 0;
}

/** A counter's or histogram's series for one label set, updated in place. */
export interface SeriesHandle {
  /** inc(value) for a counter, observe(value) for a histogram. */
  add(value: number): void;
}

/**
 * The series of `labels`, kept as a handle: prom-client validates and hashes the labels on every
 * call (most of the cost of recording a sample), a handle does that once. The first call, a value
 * prom-client would refuse, and any call after prom-client stopped holding the series (reset(), a
 * removed series) go through prom-client's own inc/observe, which then also finds the series
 * again. Not for histograms with exemplars: those keep prom-client's path.
 */
export function seriesHandle(metric: Counter<string> | Histogram<string>, labels: Labels): SeriesHandle {
  const x = metric as unknown as { hashMap: Record<string, HistogramEntry | ValueEntry>; upperBounds: number[]; enableExemplars?: boolean };
  if (x.enableExemplars) throw new Error('seriesHandle: a metric with exemplars keeps prom-client\'s own path');
  const histogram = metric instanceof Histogram;
  let key: string | undefined;
  let entry: HistogramEntry | ValueEntry | undefined;
  const viaPromClient = (value: number) => {
    if (histogram) metric.observe(labels, value);
    else (metric as Counter<string>).inc(labels, value);
    key = Object.keys(x.hashMap).find((k) => sameLabels(x.hashMap[k]!.labels, labels));
    entry = key === undefined ? undefined : x.hashMap[key];
  };
  const held = () => entry !== undefined && x.hashMap[key!] === entry;
  if (!histogram) {
    return {
      add(value) {
        if (!held() || !(value >= 0) || !Number.isFinite(value)) return viaPromClient(value);
        (entry as ValueEntry).value += value;
      },
    };
  }
  const bounds = x.upperBounds;
  return {
    add(value) {
      if (!held() || !Number.isFinite(value)) return viaPromClient(value);
      const e = entry as HistogramEntry;
      e.sum += value;
      e.count += 1;
      // prom-client's own bucketing: the first bound at or above the value, -1 for +Inf
      let bound = -1;
      for (const b of bounds) {
        if (value <= b) {
          bound = b;
          break;
        }
      }
      if (Object.hasOwn(e.bucketValues, bound)) e.bucketValues[bound] = (e.bucketValues[bound] ?? 0) + 1;
    },
  };
}

function sameLabels(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => String(a[k]) === String(b[k]));
}
