// How each kind of family's series is versioned and written, for SeriesGroups.
import { bucketCount, bucketExemplar, summaryRevision, type HistogramEntry, type SummaryEntry, type ValueEntry } from './prom-internals.js';
import type { FamilyKind } from './series-groups.js';
import { cachedLabels, formatNumber, sumAndCount } from './text.js';

const byCount = (e: { count: number }) => e.count;

/** prom-client compresses every age bucket's t-digest of every series before it reads one of them;
 *  the quantiles need only the current bucket, and a digest answers without being compressed. */
export function summaryKind(name: string, percentiles: readonly number[]): FamilyKind<SummaryEntry> {
  const qs = percentiles.map((q) => `quantile="${formatNumber(q)}"`);
  return {
    version: byCount,
    revision: summaryRevision,
    render(e) {
      const l = cachedLabels(e.labels);
      let text = '';
      for (let i = 0; i < qs.length; i++) text += `${name}{${qs[i]}${l ? `,${l}` : ''}} ${formatNumber(e.td.percentile(percentiles[i]!) || 0)}\n`;
      return text + sumAndCount(name, l, e.sum, e.count);
    },
  };
}

/** exemplars: write each bucket's exemplar (OpenMetrics only: the Prometheus text format has none). */
export function histogramKind(name: string, upperBounds: readonly number[], exemplars = false): FamilyKind<HistogramEntry> {
  const les = upperBounds.map((b) => `le="${formatNumber(b)}"} `);
  const exemplar = (e: HistogramEntry, bound: number): string => {
    const x = exemplars ? bucketExemplar(e, bound) : undefined;
    if (!x) return '';
    return ` # {${cachedLabels(x.labelSet)}} ${formatNumber(x.value)}${x.timestamp === undefined ? '' : ` ${formatNumber(x.timestamp)}`}`;
  };
  return {
    version: byCount,
    render(e) {
      const l = cachedLabels(e.labels);
      const open = `${name}_bucket{${l ? `${l},` : ''}`;
      let text = '';
      let acc = 0;
      for (let i = 0; i < les.length; i++) {
        acc += bucketCount(e, upperBounds[i]!);
        text += `${open}${les[i]}${acc}${exemplar(e, upperBounds[i]!)}\n`;
      }
      return `${text}${open}le="+Inf"} ${e.count}${exemplar(e, Infinity)}\n${sumAndCount(name, l, e.sum, e.count)}`;
    },
  };
}

/** A counter's or gauge's samples; `sample` is the sample name (a counter's differs by format). */
export function valueKind(sample: string): FamilyKind<ValueEntry> {
  return {
    version: (e) => e.value,
    render(e) {
      const l = cachedLabels(e.labels);
      return `${sample}${l ? `{${l}}` : ''} ${formatNumber(e.value)}\n`;
    },
  };
}
