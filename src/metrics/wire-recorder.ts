// Turns the wire tracer's results into metric samples. Durations of failed requests are not
// observed: they would mix two populations, as the client-side families avoid too.
import type { Registry } from 'prom-client';
import { seriesHandle, type Labels, type SeriesHandle } from '../exposition/prom-internals.js';
import { isMismatch, type UnmatchedSide, type WireResult, type WireSink } from '../results/wire.js';
import { removeSeries } from './remove-series.js';
import { createWireFamilies, type TracerState, type WireFamilies } from './wire-families.js';

function kept<V>(map: Map<string, V>, key: string, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

/** One target's (or node's) series, kept as handles: a request records ~10 samples, and the label
 *  work prom-client repeats on each was most of the tracer's cost in JavaScript. */
class TargetSeries {
  readonly bytesSent: SeriesHandle;
  readonly bytesReceived: SeriesHandle;
  readonly retransmits: SeriesHandle;
  readonly handshakeRtt: SeriesHandle;
  readonly minRtt: SeriesHandle;
  readonly overhead: SeriesHandle;
  private readonly byOperation = new Map<string, SeriesHandle>();
  private readonly byPhase = new Map<string, SeriesHandle>();

  constructor(private readonly f: WireFamilies, readonly labels: Labels) {
    this.bytesSent = seriesHandle(f.wireBytes, { ...labels, direction: 'sent' });
    this.bytesReceived = seriesHandle(f.wireBytes, { ...labels, direction: 'received' });
    this.retransmits = seriesHandle(f.tcpRetransmits, labels);
    this.handshakeRtt = seriesHandle(f.tcpRtt, { ...labels, source: 'handshake' });
    this.minRtt = seriesHandle(f.tcpRtt, { ...labels, source: 'min' });
    this.overhead = seriesHandle(f.clientOverhead, labels);
  }

  duration(operation: string): SeriesHandle {
    return kept(this.byOperation, operation, () => seriesHandle(this.f.wireDuration, { ...this.labels, operation }));
  }

  phase(phase: string): SeriesHandle {
    return kept(this.byPhase, phase, () => seriesHandle(this.f.wirePhase, { ...this.labels, phase }));
  }
}

export class WireRecorder implements WireSink {
  readonly families: WireFamilies;
  /** By target and node; a target's retransmit series exists from its first request. */
  private readonly series = new Map<string, TargetSeries>();

  constructor(private readonly registry: Registry, tracer: TracerState) {
    this.families = createWireFamilies(registry, tracer);
  }

  onWire({ trace, wire: w }: WireResult): void {
    const key = `${trace.target}\u0000${trace.node ?? ''}`;
    let s = this.series.get(key);
    if (!s) {
      s = new TargetSeries(this.families, trace.node === undefined ? { target: trace.target } : { target: trace.target, node: trace.node });
      this.series.set(key, s);
      s.retransmits.add(0);
    }
    s.bytesSent.add(w.bytesSent);
    s.bytesReceived.add(w.bytesReceived);
    if (w.retransmits) s.retransmits.add(w.retransmits);
    if (w.handshakeRttSeconds !== undefined) s.handshakeRtt.add(w.handshakeRttSeconds);
    if (w.minRttSeconds !== undefined) s.minRtt.add(w.minRttSeconds);
    if (isMismatch(trace.operation, w.wireOperation)) {
      this.families.mismatches.inc({ ...s.labels, operation: trace.operation, wire_operation: w.wireOperation!.candidates[0]! });
    }
    if (trace.error !== undefined || w.wireSeconds === undefined) return;
    s.duration(trace.operation).add(w.wireSeconds);
    for (const [phase, v] of Object.entries(w.phases)) s.phase(phase).add(v);
    if (w.overheadSeconds !== undefined) s.overhead.add(w.overheadSeconds);
  }

  onUnmatched(side: UnmatchedSide, count: number): void {
    this.families.unmatched.inc({ side }, count);
  }

  /** A node forgotten after its grace: its series go. */
  async removeNode(target: string, node: string): Promise<void> {
    this.series.delete(`${target}\u0000${node}`);
    await removeSeries(this.registry, (l) => l.target === target && l.node === node);
  }
}
