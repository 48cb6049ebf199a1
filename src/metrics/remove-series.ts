// Removes every series of a registry whose labels match, through prom-client's public API (get()
// lists the series, remove() drops one): for nodes forgotten after their grace. Rare, so async.
import type { LabelValues, Registry } from 'prom-client';

type Labels = LabelValues<string>;

/** Labels of a sample that are not the series' own (a histogram bucket's, a summary quantile's). */
const SAMPLE_LABELS = new Set(['le', 'quantile']);

export async function removeSeries(registry: Registry, match: (labels: Labels) => boolean): Promise<void> {
  for (const { name } of registry.getMetricsAsArray()) {
    const m = registry.getSingleMetric(name);
    if (!m) continue;
    const data = await m.get();
    const done = new Set<string>();
    for (const v of data.values) {
      const labels: Labels = Object.fromEntries(Object.entries(v.labels).filter(([k]) => !SAMPLE_LABELS.has(k)));
      if (!match(labels)) continue;
      const key = JSON.stringify(labels);
      if (done.has(key)) continue;
      done.add(key);
      m.remove(labels);
    }
  }
}
