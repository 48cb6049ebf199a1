// The s3prober_* families the exporter exports, read off registries built by the exporter's own
// classes (not a copied list): what rules, dashboards and docs may name.
import { Histogram, Registry, Summary } from 'prom-client';
import { parseConfig } from '../../src/config/load.js';
import { DurabilityRecorder } from '../../src/metrics/durability-recorder.js';
import { MetricsRecorder } from '../../src/metrics/recorder.js';
import { ReplicationRecorder } from '../../src/metrics/replication-recorder.js';
import { ProcessMetrics } from '../../src/metrics/process-metrics.js';
import { recordShard } from '../../src/metrics/shard-families.js';
import { WireRecorder } from '../../src/metrics/wire-recorder.js';
import { operationsOf } from '../../src/probes/plan.js';

export type FamilyKind = 'histogram' | 'summary' | 'plain';

export function exportedFamilies(): Map<string, FamilyKind> {
  const config = parseConfig(
    'targets: [{ name: t, endpoint: "http://127.0.0.1:1", credentials: { accessKeyId: "a", secretAccessKey: "b" } }]',
  );
  const wire = new Registry();
  new WireRecorder(wire, { up: () => false, enabled: () => true, kernel: () => undefined });
  const out = new Map<string, FamilyKind>();
  const recorder = new MetricsRecorder(config, operationsOf);
  new DurabilityRecorder(recorder.registry, config, (t) => recorder.labelsOf(t));
  recordShard(recorder.registry, { index: 0, count: 1 }, ['t'], ['t']);
  new ReplicationRecorder(recorder.registry, config);
  for (const r of [new ProcessMetrics().registry, recorder.registry, wire]) {
    for (const m of r.getMetricsAsArray()) {
      const name = (m as unknown as { name: string }).name;
      if (!name.startsWith('s3prober_')) continue;
      out.set(name, m instanceof Histogram ? 'histogram' : m instanceof Summary ? 'summary' : 'plain');
    }
  }
  return out;
}
