// Families that live as long as the process, across config reloads: build, runtime, reloads, errors.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { VERSION } from '../version.js';
import { PROCESS_METRICS as N } from './names.js';

/** What internal_errors_total counts: errors no code path expected (a bug, logged), and cycles that
 *  a bug of the prober's own ended (their failures carry reason="internal"). */
const INTERNAL_ERROR_KINDS = ['unhandled_rejection', 'uncaught_exception', 'cycle'] as const;

export class ProcessMetrics {
  readonly registry = new Registry();
  readonly reloadSuccess = new Gauge({
    name: N.reloadSuccess,
    help: 'Whether the last configuration reload attempt was successful (1) or kept the previous config (0).',
    registers: [this.registry],
  });
  readonly reloadTime = new Gauge({
    name: N.reloadTime,
    help: 'Unix time of the last successful configuration load.',
    registers: [this.registry],
  });
  readonly internalErrors = new Counter({
    name: N.internalErrors,
    help: 'Bugs in s3prober, caught and logged: unhandled errors of the process, and cycles a bug ended (the process keeps running).',
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
      name: N.buildInfo,
      help: 'Build of the running s3prober (value 1).',
      labelNames: ['version', 'node_version'],
      registers: [this.registry],
    }).set({ version: VERSION, node_version: process.version }, 1);
    this.reloadSuccess.set(1);
    this.reloadTime.set(Date.now() / 1000);
    for (const kind of INTERNAL_ERROR_KINDS) this.internalErrors.inc({ kind }, 0);
  }
}
