// Measuring one S3 operation: its own deadline, a short grace for a write in flight at shutdown,
// the request scope that traces its HTTP requests, and the classification and logging of a failure.
// Every operation of a cycle becomes exactly one OperationResult, measured or skipped.
import type { Logger } from 'pino';
import { nowNs, secondsBetween } from '../results/clock.js';
import type { OperationResult } from '../results/cycle.js';
import type { FailureReason, Operation } from '../results/operations.js';
import type { RequestTrace } from '../results/request-trace.js';
import { childOf, type SpanIds } from '../results/trace-context.js';
import { withRequestScope } from '../s3/instrument.js';
import { classifyFailure, errorMessage, neverReachedServer } from './classify.js';
import type { CycleObserver } from './observer.js';
import { READ_ONLY } from './plan.js';
import { operationTiming } from './timing.js';

/** `rejected`: the request certainly changed nothing (never sent, or refused with a 4xx). */
export type Step<T> = { ok: true; value: T } | { ok: false; rejected?: boolean };
const FAILED: Step<never> = { ok: false };

/** How long a write in flight at shutdown may still finish (its own deadline still applies). */
const SHUTDOWN_GRACE_MS = 2000;

/** Failures that happen before a request reaches the server. */
const NEVER_SENT: ReadonlySet<FailureReason> = new Set(['dns', 'connection_refused', 'tls']);

export interface MeasureOptions {
  target: string;
  node?: string | undefined;
  /** Deadline of each operation. */
  timeoutMs: number;
  logger: Logger;
  observer?: CycleObserver | undefined;
  /** Shutdown: reads are cut at once, writes after a grace. */
  signal?: AbortSignal | undefined;
  /** false: requests that are not canary operations (the durability check's); the wire tracer
   *  claims their exchanges without measuring them, as it does for housekeeping. */
  wireMeasured?: boolean;
  /** The cycle's root span when the cycle is traced: each operation gets a child span of it. */
  trace?: SpanIds | undefined;
}

export class OperationMeasurer {
  readonly results: OperationResult[] = [];

  constructor(private readonly opts: MeasureOptions) {}

  get shutdown(): boolean {
    return this.opts.signal?.aborted ?? false;
  }

  /** Runs one measured operation, or records it as skipped when a step it needs has failed. */
  async run<T>(operation: Operation, size: string, bytes: number, blockedBy: string | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<Step<T>> {
    if (blockedBy !== undefined || this.shutdown) {
      this.skip(operation, size, this.shutdown ? 'shutdown' : blockedBy!);
      return FAILED;
    }
    const { target, node, timeoutMs, observer } = this.opts;
    // One controller for the deadline and shutdown. Not AbortSignal.any(): on Node 20 it leaves a
    // WeakRef per call on the long-lived shutdown signal (the soak found it growing per operation).
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(new Error(`${operation} exceeded ${timeoutMs} ms`));
    }, timeoutMs);
    // Shutdown cuts a read at once. A write gets a short grace first: aborted, its outcome is
    // unknown and the server may still apply it after the cleanup's delete (a bucket created after
    // its DeleteBucket said NoSuchBucket is a leftover no one tracks).
    const shutdown = this.opts.signal;
    let grace: NodeJS.Timeout | undefined;
    const onShutdown = () => {
      if (READ_ONLY.has(operation)) abort.abort(shutdown?.reason);
      else grace = setTimeout(() => abort.abort(shutdown?.reason), SHUTDOWN_GRACE_MS);
    };
    if (shutdown?.aborted) onShutdown();
    else shutdown?.addEventListener('abort', onShutdown, { once: true });
    const traces: RequestTrace[] = [];
    const span = this.opts.trace && childOf(this.opts.trace);
    const scope = {
      span,
      target,
      node,
      operation,
      traces,
      onTrace: observer?.onTrace?.bind(observer),
      onCertificate: (d: Date) => observer?.onCertificate?.(target, d, node),
      ...(this.opts.wireMeasured === false ? { measured: false } : {}),
    };
    const startedAt = Date.now();
    const t0 = nowNs();
    const ids = { startNs: t0, ...(span ? { span } : {}) };
    try {
      const value = await withRequestScope(scope, () => fn(abort.signal));
      const timing = operationTiming(t0, nowNs(), traces);
      this.record({ target, operation, outcome: 'success', size, bytes, ...timing, traces, startedAt, ...ids });
      return { ok: true, value };
    } catch (err) {
      const t1 = nowNs();
      const durationSeconds = secondsBetween(t0, t1);
      // where its requests fell in the call (status page); a failure's duration stays the whole call
      const { prepareSeconds } = operationTiming(t0, t1, traces);
      if (this.shutdown) {
        this.skip(operation, size, 'shutdown');
        return FAILED;
      }
      const f = classifyFailure(err, timedOut, traces);
      this.record({
        target, operation, outcome: 'failure', size, bytes: 0, durationSeconds, ...(prepareSeconds === undefined ? {} : { prepareSeconds }), traces, startedAt, ...ids,
        reason: f.reason, errorCode: f.code, httpStatus: f.httpStatus, requestId: f.requestId, message: f.message,
      });
      this.opts.logger[f.reason === 'internal' ? 'error' : 'warn'](
        { target, node, operation, reason: f.reason, code: f.code, httpStatus: f.httpStatus, requestId: f.requestId, size: size || undefined, durationSeconds, bug: f.reason === 'internal' ? err : undefined },
        `${operation} failed: ${f.message}`,
      );
      const refused = f.httpStatus !== undefined && f.httpStatus >= 400 && f.httpStatus < 500;
      return { ok: false, rejected: NEVER_SENT.has(f.reason) || refused || neverReachedServer(traces) };
    } finally {
      clearTimeout(timer);
      clearTimeout(grace);
      shutdown?.removeEventListener('abort', onShutdown);
    }
  }

  /** A bug of the prober's own ended the cycle while it prepared this operation. */
  crashed(operation: Operation, size: string, err: unknown): void {
    const message = errorMessage(err);
    this.record({ target: this.opts.target, operation, outcome: 'failure', size, bytes: 0, reason: 'internal', message, traces: [], startedAt: Date.now() });
    this.opts.logger.error({ target: this.opts.target, operation, reason: 'internal', size: size || undefined, bug: err }, `cycle crashed preparing ${operation}: ${message}`);
  }

  skip(operation: Operation, size: string, because: string): void {
    this.record({ target: this.opts.target, operation, outcome: 'skipped', size, bytes: 0, skippedBecause: because, traces: [], startedAt: Date.now() });
  }

  private record(r: OperationResult): void {
    if (this.opts.node !== undefined) r.node = this.opts.node;
    this.results.push(r);
    this.opts.observer?.onOperation?.(r);
  }
}
