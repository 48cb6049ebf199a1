// The wire tracer: kernel exchanges in, wire results out. It joins each client request to the
// kernel's exchanges on its socket and hands what it produced to a sink; it records nothing itself.
import type { Logger } from 'pino';
import { nowNs } from '../results/clock.js';
import type { RequestTrace } from '../results/request-trace.js';
import { WIRE_RESULT_DELAY_MS, type KernelCounters, type WireResult, type WireSink } from '../results/wire.js';
import { computeWire } from './correlate.js';
import { decodeBatch } from './decoder.js';
import { ExchangeStore } from './exchanges.js';
import type { HookSet, NativeTracer } from './native.js';

/** Unclaimed exchanges older than this count as unmatched (requests end right after their last read). */
const UNMATCHED_AFTER_NS = 30_000_000_000n;
/** The kernel wakes user space only when its ring fills up: drain at least this often. */
const SWEEP_EVERY_MS = 1_000;
/** Idle sockets are forgotten after this; the kernel's close record of one is then ignored. */
const FORGET_IDLE_SOCKET_NS = 3_600_000_000_000n;

export interface WireTracerStatus {
  up: boolean;
  /** Why the tracer is off (one sentence), when it is. */
  reason?: string;
  hooks?: HookSet;
  uprobes?: number;
}

export interface WireTracer {
  readonly up: boolean;
  /** Call once per finished HTTP request attempt: joined now. Never throws. */
  observe(trace: RequestTrace): void;
  /** The same, joined with the requests that end near it, within WIRE_RESULT_DELAY_MS. */
  queue(trace: RequestTrace): void;
  status(): WireTracerStatus;
  /** The kernel's running totals; undefined while the tracer is down. */
  kernelCounters(): KernelCounters | undefined;
  /** The last joined wire view of a request, for tests and debugging (undefined if none). */
  lastWire(): WireResult | undefined;
  close(): Promise<void>;
}

/** Tracer that is off: the exporter runs with client-side metrics only. */
export class DownTracer implements WireTracer {
  readonly up = false;
  constructor(private readonly reason: string) {}
  observe(): void {}
  queue(): void {}
  status(): WireTracerStatus {
    return { up: false, reason: this.reason };
  }
  kernelCounters(): undefined {
    return undefined;
  }
  lastWire(): undefined {
    return undefined;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export class KernelWireTracer implements WireTracer {
  private readonly store = new ExchangeStore();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private warned = false;
  private last: WireResult | undefined;
  private queued: { trace: RequestTrace; endNs: bigint }[] = [];
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly native: NativeTracer,
    private readonly sink: WireSink,
    private readonly logger: Logger,
  ) {
    native.onEvents((batch) => this.onBatch(batch));
    native.unref(); // the tracer alone never keeps the process alive
    this.timer = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  get up(): boolean {
    return !this.closed;
  }

  observe(trace: RequestTrace): void {
    if (this.closed || trace.localPort === undefined) return;
    try {
      // the kernel submitted this request's last snapshot before the app could read its last
      // byte: pull it now instead of waiting for the next loop iteration
      this.native.drain();
      this.join(trace);
    } catch (e) {
      this.warnOnce(e);
    }
  }

  // At one request every few ms, each join runs cold, and each drain is a call into the addon:
  // a batch drains once and joins its requests in a row.
  queue(trace: RequestTrace): void {
    if (this.closed || trace.localPort === undefined) return;
    // the window ends when the request did, not when the batch runs (a reused socket's next request)
    this.queued.push({ trace, endNs: trace.endNs ?? nowNs() });
    this.flushTimer ??= setTimeout(() => this.flush(), WIRE_RESULT_DELAY_MS).unref();
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.queued;
    this.queued = [];
    if (!batch.length) return;
    try {
      this.native.drain();
    } catch (e) {
      this.warnOnce(e);
      return;
    }
    for (const { trace, endNs } of batch) {
      try {
        this.join(trace, endNs);
      } catch (e) {
        this.warnOnce(e);
      }
    }
  }

  /** One request against what the store holds (drained by the caller). Throws on a bug. */
  private join(trace: RequestTrace, endNs = trace.endNs ?? nowNs()): void {
    if (trace.localPort === undefined) return;
    const exchanges = this.store.take(trace.localPort, trace.remotePort, trace.startNs, endNs);
    // The prober's housekeeping (cleanup, sweeps): its exchanges are claimed, not measured.
    if (trace.measured === false) return;
    if (!exchanges.length) {
      this.sink.onUnmatched('client', 1);
      return;
    }
    this.last = { trace, wire: computeWire(trace, exchanges) };
    this.sink.onWire(this.last);
  }

  private onBatch(batch: Buffer): void {
    try {
      decodeBatch(batch, (e) => {
        const dropped = this.store.add(e);
        if (dropped) this.sink.onUnmatched('wire', dropped);
      });
    } catch (e) {
      this.warnOnce(e);
    }
  }

  private sweep(): void {
    try {
      this.native.drain();
      const now = nowNs();
      const n = this.store.sweep(now - UNMATCHED_AFTER_NS, now - FORGET_IDLE_SOCKET_NS);
      if (n) this.sink.onUnmatched('wire', n);
    } catch (e) {
      this.warnOnce(e);
    }
  }

  private warnOnce(e: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.logger.warn({ err: e }, 'eBPF wire tracer: a request could not be processed (further errors are not logged)');
  }

  status(): WireTracerStatus {
    return { up: this.up, hooks: this.native.hooks, uprobes: this.native.uprobes };
  }

  lastWire(): WireResult | undefined {
    return this.last;
  }

  kernelCounters(): KernelCounters | undefined {
    if (this.closed) return undefined;
    const s = this.native.stats();
    return { events: s.events, dropped: s.dropped, hookRunsMissed: s.hookRunsMissed };
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    clearInterval(this.timer);
    this.flush(); // queued requests are joined, not lost
    try {
      this.native.drain();
    } catch {
      /* closing anyway */
    }
    this.closed = true;
    this.native.close();
    return Promise.resolve();
  }
}
