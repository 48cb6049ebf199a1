// The metric families of probe results (the wire's are in wire-families.ts; names in names.ts).
// Label `target` plus the configured extra labels come first.
import { Counter, Gauge, Histogram, type Registry, Summary } from 'prom-client';
import { FAILURE_REASONS } from '../results/operations.js';
import { CYCLE_BUCKETS, LATENCY_BUCKETS } from './buckets.js';
import { PROBER_METRICS as N } from './names.js';

export type ProberFamilies = ReturnType<typeof createFamilies>;

/** The sliding window of the operation latency summary: its memory grows until the window is full. */
export const SUMMARY_WINDOW_SECONDS = 600;

export function createFamilies(registry: Registry, targetLabels: string[]) {
  const L = targetLabels;
  const registers = [registry];
  // Exemplars (the trace of a recent observation per bucket, when traces are on): prom-client
  // refuses them on a registry whose content type is Prometheus text, but the content type is the
  // renderer's choice per scrape (src/exposition), which writes them in OpenMetrics only.
  const opDuration = new Histogram({
    name: N.opDuration,
    help: 'Duration of successful S3 operations from the first request issued to the result in hand, body included (failures never enter it; the client\'s preparation before is the prepare phase).',
    labelNames: [...L, 'operation', 'size'], buckets: LATENCY_BUCKETS, registers: [], enableExemplars: true,
  });
  registry.registerMetric(opDuration);
  return {
    opDuration,
    opLatency: new Summary({
      name: N.opLatency,
      help: 'Duration of successful S3 operations over a sliding 10 minute window.',
      labelNames: [...L, 'operation', 'size'], percentiles: [0.5, 0.9, 0.99], maxAgeSeconds: SUMMARY_WINDOW_SECONDS, ageBuckets: 5, registers,
    }),
    opLast: new Gauge({
      name: N.opLast,
      help: 'Duration of the last successful run of each S3 operation.',
      labelNames: [...L, 'operation', 'size'], registers,
    }),
    opTotal: new Counter({
      name: N.opTotal,
      help: 'S3 operations attempted by outcome (skipped: a step it depends on failed).',
      labelNames: [...L, 'operation', 'outcome'], registers,
    }),
    opFailures: new Counter({
      name: N.opFailures,
      help: `Failed S3 operations by reason (${FAILURE_REASONS.join(', ')}).`,
      labelNames: [...L, 'operation', 'reason'], registers,
    }),
    opSuccess: new Gauge({
      name: N.opSuccess,
      help: 'Whether the last run of each S3 operation succeeded (1) or failed (0).',
      labelNames: [...L, 'operation'], registers,
    }),
    phase: new Histogram({
      name: N.phase,
      help: 'Client-side phases of successful operations, all operations together: prepare (SDK serialization and signing before the first request, not in the operation duration), then per request resolve, connect, tls, processing (to first response byte), transfer. Only measured phases are observed.',
      // no operation label: per operation it was the largest family (BENCHMARKS.md, scrape)
      labelNames: [...L, 'phase'], buckets: LATENCY_BUCKETS, registers,
    }),
    bytes: new Counter({
      name: N.bytes,
      help: 'HTTP bytes moved by probe requests, headers included.',
      labelNames: [...L, 'operation', 'direction'], registers,
    }),
    cycleDuration: new Histogram({
      name: N.cycleDuration,
      help: 'Duration of whole canary cycles, cleanup included.',
      labelNames: L, buckets: CYCLE_BUCKETS, registers,
    }),
    cycleSuccess: new Gauge({ name: N.cycleSuccess, help: 'Whether the last cycle of the target succeeded (every operation).', labelNames: L, registers }),
    cyclesTotal: new Counter({ name: N.cyclesTotal, help: 'Completed canary cycles by outcome.', labelNames: [...L, 'outcome'], registers }),
    cyclesSkipped: new Counter({
      name: N.cyclesSkipped,
      help: 'Schedule slots skipped: reason="overrun", the previous cycle of the target was still running; reason="missed", the prober itself reached the slot more than an interval late (blocked or starved).',
      labelNames: [...L, 'reason'], registers,
    }),
    cycleStartDelay: new Histogram({
      name: N.cycleStartDelay,
      help: 'How late a cycle started compared with its planned slot (schedule drift).',
      labelNames: L, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers,
    }),
    lastCycle: new Gauge({ name: N.lastCycle, help: 'Unix time the last cycle of the target ended.', labelNames: L, registers }),
    leftovers: new Gauge({
      name: N.leftovers,
      help: 'Objects, uploads and buckets created by the prober that could not be removed yet (retried every cycle).',
      labelNames: L, registers,
    }),
    certExpiry: new Gauge({
      name: N.certExpiry,
      help: 'Unix time the TLS certificate presented by the target expires.',
      labelNames: L, registers,
    }),
    targetInfo: new Gauge({
      name: N.targetInfo,
      help: 'Configured targets (value 1).',
      labelNames: [...L, 'endpoint', 'region', 'bucket_mode'], registers,
    }),
    targetNodes: new Gauge({
      name: N.targetNodes,
      help: 'Targets that probe every node behind their endpoint: addresses found (state="found") and probed (state="probed", at most maxNodes).',
      labelNames: [...L, 'state'], registers,
    }),
    discoveryFailures: new Counter({
      name: N.discoveryFailures,
      help: 'Node discoveries that failed (DNS error or timeout); the nodes last seen are still probed.',
      labelNames: L, registers,
    }),
  };
}
