// The Prometheus and OpenMetrics text formats: labels, numbers, headers.
import type { Labels } from './prom-internals.js';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

const NEEDS_ESCAPE = /[\\\n"]/;

function escapeLabelValue(v: string): string {
  return NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v;
}

function formatLabels(labels: Labels): string {
  let s = '';
  for (const k in labels) {
    const v = labels[k];
    if (v === undefined) continue;
    s += `${s ? ',' : ''}${k}="${escapeLabelValue(String(v))}"`;
  }
  return s;
}

// A series' label text, kept as long as prom-client keeps the series: counters and histograms keep
// their first label object for the life of a series (gauges replace theirs on every set).
const labelText = new WeakMap<object, string>();

export function cachedLabels(labels: Labels | undefined): string {
  if (!labels) return '';
  let s = labelText.get(labels);
  if (s === undefined) {
    s = formatLabels(labels);
    labelText.set(labels, s);
  }
  return s;
}

export function formatNumber(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}

export function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}

/** The _sum and _count lines that close a histogram's or a summary's series. */
export function sumAndCount(name: string, labels: string, sum: number, count: number): string {
  const braces = labels ? `{${labels}}` : '';
  return `${name}_sum${braces} ${formatNumber(sum)}\n${name}_count${braces} ${count}\n`;
}

/** OpenMetrics names a counter family without _total and each of its samples with it. */
export function counterNames(name: string, format: ExpositionFormat): { family: string; sample: string } {
  if (format !== 'openmetrics') return { family: name, sample: name };
  const family = name.replace(/_total$/, '');
  return { family, sample: `${family}_total` };
}
