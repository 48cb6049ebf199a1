// Every metric family of the prober (the wire families live in wire.ts). Names are an interface:
// dashboards and alerts depend on them. Label `target` plus the configured extra labels come first.
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { CYCLE_BUCKETS, LATENCY_BUCKETS } from './buckets.js';

export type ProberFamilies = ReturnType<typeof createFamilies>;

/** The sliding window of the operation latency summary: its memory grows until the window is full. */
export const SUMMARY_WINDOW_SECONDS = 600;

export function createFamilies(registry: Registry, targetLabels: string[]) {
  const L = targetLabels;
  const registers = [registry];
  return {
    opDuration: new Histogram({
      name: 's3prober_operation_duration_seconds',
      help: 'Duration of successful S3 operations from the first request issued to the result in hand, body included (failures never enter it; the client\'s preparation before is the prepare phase).',
      labelNames: [...L, 'operation', 'size'], buckets: LATENCY_BUCKETS, registers,
    }),
    opLatency: new Summary({
      name: 's3prober_operation_latency_seconds',
      help: 'Duration of successful S3 operations over a sliding 10 minute window.',
      labelNames: [...L, 'operation', 'size'], percentiles: [0.5, 0.9, 0.99], maxAgeSeconds: SUMMARY_WINDOW_SECONDS, ageBuckets: 5, registers,
    }),
    opLast: new Gauge({
      name: 's3prober_operation_last_duration_seconds',
      help: 'Duration of the last successful run of each S3 operation.',
      labelNames: [...L, 'operation', 'size'], registers,
    }),
    opTotal: new Counter({
      name: 's3prober_operations_total',
      help: 'S3 operations attempted by outcome (skipped: a step it depends on failed).',
      labelNames: [...L, 'operation', 'outcome'], registers,
    }),
    opFailures: new Counter({
      name: 's3prober_operation_failures_total',
      help: 'Failed S3 operations by reason (timeout, dns, connection_refused, connection_reset, tls, auth, throttled, server_error, client_error, not_found, integrity, other).',
      labelNames: [...L, 'operation', 'reason'], registers,
    }),
    opSuccess: new Gauge({
      name: 's3prober_operation_success',
      help: 'Whether the last run of each S3 operation succeeded (1) or failed (0).',
      labelNames: [...L, 'operation'], registers,
    }),
    phase: new Histogram({
      name: 's3prober_phase_duration_seconds',
      help: 'Client-side phases of successful operations, all operations together: prepare (SDK serialization and signing before the first request, not in the operation duration), then per request resolve, connect, tls, processing (to first response byte), transfer. Only measured phases are observed.',
      // no operation label: per operation it was the largest family (BENCHMARKS.md, scrape)
      labelNames: [...L, 'phase'], buckets: LATENCY_BUCKETS, registers,
    }),
    bytes: new Counter({
      name: 's3prober_transfer_bytes_total',
      help: 'HTTP bytes moved by probe requests, headers included.',
      labelNames: [...L, 'operation', 'direction'], registers,
    }),
    cycleDuration: new Histogram({
      name: 's3prober_cycle_duration_seconds',
      help: 'Duration of whole canary cycles, cleanup included.',
      labelNames: L, buckets: CYCLE_BUCKETS, registers,
    }),
    cycleSuccess: new Gauge({ name: 's3prober_cycle_success', help: 'Whether the last cycle of the target succeeded (every operation).', labelNames: L, registers }),
    cyclesTotal: new Counter({ name: 's3prober_cycles_total', help: 'Completed canary cycles by outcome.', labelNames: [...L, 'outcome'], registers }),
    cyclesSkipped: new Counter({
      name: 's3prober_cycles_skipped_total',
      help: 'Schedule slots skipped: reason="overrun", the previous cycle of the target was still running; reason="missed", the prober itself reached the slot more than an interval late (blocked or starved).',
      labelNames: [...L, 'reason'], registers,
    }),
    cycleStartDelay: new Histogram({
      name: 's3prober_cycle_start_delay_seconds',
      help: 'How late a cycle started compared with its planned slot (schedule drift).',
      labelNames: L, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers,
    }),
    lastCycle: new Gauge({ name: 's3prober_last_cycle_timestamp_seconds', help: 'Unix time the last cycle of the target ended.', labelNames: L, registers }),
    leftovers: new Gauge({
      name: 's3prober_leftover_objects',
      help: 'Objects, uploads and buckets created by the prober that could not be removed yet (retried every cycle).',
      labelNames: L, registers,
    }),
    certExpiry: new Gauge({
      name: 's3prober_tls_cert_expiry_timestamp_seconds',
      help: 'Unix time the TLS certificate presented by the target expires.',
      labelNames: L, registers,
    }),
    targetInfo: new Gauge({
      name: 's3prober_target_info',
      help: 'Configured targets (value 1).',
      labelNames: [...L, 'endpoint', 'region', 'bucket_mode'], registers,
    }),
  };
}
