// The wire tracer: kernel snapshots in, per-request wire metrics out.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { RequestTrace } from '../s3/request-trace.js';
import type { WireFamilies } from '../metrics/wire.js';
import { computeWire, type WireTiming } from './correlate.js';
import { decodeBatch } from './decoder.js';
import { ExchangeStore } from './exchanges.js';
import type { HookSet, NativeTracer } from './native.js';
import { isMismatch } from './operation.js';
import { SnapshotBook, type WireSnapshot } from './snapshot.js';

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
  /** Call once per finished HTTP request attempt. Never throws. */
  observe(trace: RequestTrace): void;
  /** target -> operation -> last client vs wire figures. */
  snapshot(): WireSnapshot;
  status(): WireTracerStatus;
  /** The last joined wire view of a request, for tests and debugging (undefined if none). */
  lastWire(): { trace: RequestTrace; wire: WireTiming } | undefined;
  close(): Promise<void>;
}

/** Tracer that is off: the exporter runs with client-side metrics only. */
export class DownTracer implements WireTracer {
  readonly up = false;
  constructor(private readonly reason: string) {}
  observe(): void {}
  snapshot(): WireSnapshot {
    return {};
  }
  status(): WireTracerStatus {
    return { up: false, reason: this.reason };
  }
  lastWire(): undefined {
    return undefined;
  }
  async close(): Promise<void> {}
}

export class KernelWireTracer implements WireTracer {
  private readonly store = new ExchangeStore();
  private readonly book = new SnapshotBook();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private warned = false;
  private last: { trace: RequestTrace; wire: WireTiming } | undefined;
  private readonly seenTargets = new Set<string>();

  constructor(
    private readonly native: NativeTracer,
    private readonly families: WireFamilies,
    private readonly logger: Logger,
  ) {
    native.onEvents((batch) => this.onBatch(batch));
    native.unref(); // the tracer alone never keeps the process alive
    this.timer = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.timer.unref();
    families.ebpfUp.set(1);
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
      const exchanges = this.store.take(trace.localPort, trace.remotePort, trace.startNs, trace.endNs ?? process.hrtime.bigint());
      // The prober's housekeeping (cleanup, sweeps): its exchanges are claimed, not measured.
      if (trace.measured === false) return;
      if (!exchanges.length) {
        this.families.unmatched.inc({ side: 'client' });
        return;
      }
      this.record(trace, computeWire(trace, exchanges));
    } catch (e) {
      this.warnOnce(e);
    }
  }

  private record(trace: RequestTrace, w: WireTiming): void {
    const f = this.families;
    const labels = { target: trace.target, operation: trace.operation };
    this.last = { trace, wire: w };
    const target = { target: trace.target };
    f.wireBytes.inc({ ...target, direction: 'sent' }, w.bytesSent);
    f.wireBytes.inc({ ...target, direction: 'received' }, w.bytesReceived);
    if (w.retransmits || !this.seenTargets.has(trace.target)) {
      f.tcpRetransmits.inc(target, w.retransmits); // the series exists from the first request on
      this.seenTargets.add(trace.target);
    }
    if (w.handshakeRttSeconds !== undefined) f.tcpRtt.observe({ ...target, source: 'handshake' }, w.handshakeRttSeconds);
    if (w.minRttSeconds !== undefined) f.tcpRtt.observe({ ...target, source: 'min' }, w.minRttSeconds);
    if (isMismatch(trace.operation, w.wireOperation)) {
      f.mismatches.inc({ ...labels, wire_operation: w.wireOperation!.candidates[0]! });
    }
    // durations of failed requests would mix two populations, as the client-side families avoid
    if (trace.error !== undefined || w.wireSeconds === undefined) return;
    f.wireDuration.observe(labels, w.wireSeconds);
    for (const [phase, v] of Object.entries(w.phases)) f.wirePhase.observe({ ...target, phase }, v);
    if (w.overheadSeconds !== undefined) f.clientOverhead.observe(target, w.overheadSeconds);
    this.book.record(trace.target, trace.operation, w);
  }

  private onBatch(batch: Buffer): void {
    try {
      decodeBatch(batch, (e) => {
        const dropped = this.store.add(e);
        if (dropped) this.families.unmatched.inc({ side: 'wire' }, dropped);
      });
    } catch (e) {
      this.warnOnce(e);
    }
  }

  private sweep(): void {
    try {
      this.native.drain();
      const now = process.hrtime.bigint();
      const n = this.store.sweep(now - UNMATCHED_AFTER_NS, now - FORGET_IDLE_SOCKET_NS);
      if (n) this.families.unmatched.inc({ side: 'wire' }, n);
    } catch (e) {
      this.warnOnce(e);
    }
  }

  private warnOnce(e: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.logger.warn({ err: e }, 'eBPF wire tracer: a request could not be processed (further errors are not logged)');
  }

  snapshot(): WireSnapshot {
    return this.book.get();
  }

  status(): WireTracerStatus {
    return { up: this.up, hooks: this.native.hooks, uprobes: this.native.uprobes };
  }

  lastWire(): { trace: RequestTrace; wire: WireTiming } | undefined {
    return this.last;
  }

  readKernel(): { events: number; dropped: number } | undefined {
    if (this.closed) return undefined;
    const s = this.native.stats();
    return { events: s.events, dropped: s.dropped };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    try {
      this.native.drain();
    } catch {
      /* closing anyway */
    }
    this.closed = true;
    this.native.close();
    this.families.ebpfUp.set(0);
  }
}
