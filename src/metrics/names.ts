// Every metric family s3prober exports, by name: the one list. Names are an interface (dashboards,
// alerts and README's tables depend on them); the families are built from these, and tests derive
// their expectations from them.

/** Families of probe results, one set per loaded config (families.ts). */
export const PROBER_METRICS = {
  opDuration: 's3prober_operation_duration_seconds',
  opLatency: 's3prober_operation_latency_seconds',
  opLast: 's3prober_operation_last_duration_seconds',
  opTotal: 's3prober_operations_total',
  opFailures: 's3prober_operation_failures_total',
  opSuccess: 's3prober_operation_success',
  phase: 's3prober_phase_duration_seconds',
  bytes: 's3prober_transfer_bytes_total',
  cycleDuration: 's3prober_cycle_duration_seconds',
  cycleSuccess: 's3prober_cycle_success',
  cyclesTotal: 's3prober_cycles_total',
  cyclesSkipped: 's3prober_cycles_skipped_total',
  cycleStartDelay: 's3prober_cycle_start_delay_seconds',
  lastCycle: 's3prober_last_cycle_timestamp_seconds',
  leftovers: 's3prober_leftover_objects',
  certExpiry: 's3prober_tls_cert_expiry_timestamp_seconds',
  targetInfo: 's3prober_target_info',
  targetNodes: 's3prober_target_nodes',
  discoveryFailures: 's3prober_node_discovery_failures_total',
} as const;

/** Families of the eBPF wire tracer's results (wire-families.ts). */
export const WIRE_METRICS = {
  wireDuration: 's3prober_wire_duration_seconds',
  wirePhase: 's3prober_wire_phase_duration_seconds',
  clientOverhead: 's3prober_client_overhead_seconds',
  tcpRtt: 's3prober_tcp_rtt_seconds',
  tcpRetransmits: 's3prober_tcp_retransmits_total',
  wireBytes: 's3prober_wire_bytes_total',
  ebpfUp: 's3prober_ebpf_up',
  ebpfEnabled: 's3prober_ebpf_enabled',
  ebpfEvents: 's3prober_ebpf_events_total',
  ebpfDropped: 's3prober_ebpf_events_dropped_total',
  ebpfHookRunsMissed: 's3prober_ebpf_hook_runs_missed_total',
  unmatched: 's3prober_wire_unmatched_total',
  mismatches: 's3prober_wire_operation_mismatches_total',
} as const;

/** Families of the durability check's results (durability-families.ts). */
export const DURABILITY_METRICS = {
  objects: 's3prober_durable_objects',
  failures: 's3prober_durability_failures_total',
  oldestObject: 's3prober_durable_oldest_object_timestamp_seconds',
  lastFullPass: 's3prober_durable_last_full_pass_timestamp_seconds',
} as const;

/** Families of the replication check's results (replication-families.ts). */
export const REPLICATION_METRICS = {
  lag: 's3prober_replication_lag_seconds',
  inFlight: 's3prober_replication_in_flight',
  failures: 's3prober_replication_failures_total',
  lastReplicated: 's3prober_replication_last_success_timestamp_seconds',
  skippedWrites: 's3prober_replication_writes_skipped_total',
} as const;

/** Families of the trace export, present when traces are on (tracing-families.ts). */
export const TRACING_METRICS = {
  spansExported: 's3prober_trace_spans_exported_total',
  spansDropped: 's3prober_trace_spans_dropped_total',
  exportFailures: 's3prober_trace_export_failures_total',
} as const;

/** Families that live as long as the process (process-metrics.ts), besides prom-client's own
 *  process_* and nodejs_* runtime metrics. */
export const PROCESS_METRICS = {
  buildInfo: 's3prober_build_info',
  reloadSuccess: 's3prober_config_last_reload_successful',
  reloadTime: 's3prober_config_last_reload_success_timestamp_seconds',
  internalErrors: 's3prober_internal_errors_total',
} as const;

/** Families of a target as a whole, never of one of its nodes: they carry `target` and never
 *  `node`, also for targets that probe their nodes (the schedule runs a target's round, discovery
 *  and the durable set are the target's). Every other family with `target` carries `node` on a
 *  per-node target's series. */
export const TARGET_LEVEL_METRICS: readonly string[] = [
  PROBER_METRICS.targetInfo, PROBER_METRICS.cyclesSkipped, PROBER_METRICS.cycleStartDelay,
  PROBER_METRICS.targetNodes, PROBER_METRICS.discoveryFailures, ...Object.values(DURABILITY_METRICS),
];

/** Families of a sharded process (`run --shard`), one set per loaded config (shard-families.ts):
 *  what a rule over all shards needs to find a target probed by no shard or by two. */
export const SHARD_METRICS = {
  shardInfo: 's3prober_shard_info',
  targetConfigured: 's3prober_target_configured',
  targetProbed: 's3prober_target_probed',
} as const;
/** The labels of an s3prober_operation_duration_seconds exemplar: the trace and the operation's
 *  span (Grafana's exemplar link names trace_id: deploy/grafana/provisioning). */
export const EXEMPLAR_LABELS = { traceId: 'trace_id', spanId: 'span_id' } as const;

/** Every s3prober_* family name. */
export const ALL_METRIC_NAMES: readonly string[] = [
  ...Object.values(PROBER_METRICS), ...Object.values(WIRE_METRICS), ...Object.values(DURABILITY_METRICS),
  ...Object.values(REPLICATION_METRICS), ...Object.values(TRACING_METRICS), ...Object.values(PROCESS_METRICS), ...Object.values(SHARD_METRICS),
];
