// Families that live as long as the process, across config reloads: build, runtime, reloads, errors.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { VERSION } from '../version.js';

export class ProcessMetrics {
  readonly registry = new Registry();
  readonly reloadSuccess = new Gauge({
    name: 's3prober_config_last_reload_successful',
    help: 'Whether the last configuration reload attempt was successful (1) or kept the previous config (0).',
    registers: [this.registry],
  });
  readonly reloadTime = new Gauge({
    name: 's3prober_config_last_reload_success_timestamp_seconds',
    help: 'Unix time of the last successful configuration load.',
    registers: [this.registry],
  });
  readonly internalErrors = new Counter({
    name: 's3prober_internal_errors_total',
    help: 'Unhandled errors caught by the process (a bug in s3prober, logged; the process keeps running).',
    labelNames: ['kind'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Gauges named *_total fail `promtool check metrics`; their per-type twins
    // (nodejs_active_handles{type} ...) carry the same information.
    for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(n);
    // Measured at scrape time by waiting for a setImmediate: every scrape then waited a turn of the
    // event loop, which at 300 targets is a turn of cycle work. nodejs_eventloop_lag_p99_seconds and
    // its twins (monitorEventLoopDelay) measure the loop continuously instead.
    this.registry.removeSingleMetric('nodejs_eventloop_lag_seconds');
    new Gauge({
      name: 's3prober_build_info',
      help: 'Build of the running s3prober (value 1).',
      labelNames: ['version', 'node_version'],
      registers: [this.registry],
    }).set({ version: VERSION, node_version: process.version }, 1);
    this.reloadSuccess.set(1);
    this.reloadTime.set(Date.now() / 1000);
    for (const kind of ['unhandled_rejection', 'uncaught_exception']) this.internalErrors.inc({ kind }, 0);
  }
}
