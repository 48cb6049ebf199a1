// Turns the wire tracer's results into metric samples. Durations of failed requests are not
// observed: they would mix two populations, as the client-side families avoid too.
import type { Registry } from 'prom-client';
import { isMismatch, type UnmatchedSide, type WireResult, type WireSink } from '../results/wire.js';
import { removeSeries } from './remove-series.js';
import { createWireFamilies, type TracerState, type WireFamilies } from './wire-families.js';

export class WireRecorder implements WireSink {
  readonly families: WireFamilies;
  /** Targets whose retransmit series exists: it is created with the target's first request. */
  private readonly seenTargets = new Set<string>();

  constructor(private readonly registry: Registry, tracer: TracerState) {
    this.families = createWireFamilies(registry, tracer);
  }

  onWire({ trace, wire: w }: WireResult): void {
    const f = this.families;
    const target = trace.node === undefined ? { target: trace.target } : { target: trace.target, node: trace.node };
    f.wireBytes.inc({ ...target, direction: 'sent' }, w.bytesSent);
    f.wireBytes.inc({ ...target, direction: 'received' }, w.bytesReceived);
    const seen = `${trace.target}\u0000${trace.node ?? ''}`;
    if (w.retransmits || !this.seenTargets.has(seen)) {
      f.tcpRetransmits.inc(target, w.retransmits);
      this.seenTargets.add(seen);
    }
    if (w.handshakeRttSeconds !== undefined) f.tcpRtt.observe({ ...target, source: 'handshake' }, w.handshakeRttSeconds);
    if (w.minRttSeconds !== undefined) f.tcpRtt.observe({ ...target, source: 'min' }, w.minRttSeconds);
    if (isMismatch(trace.operation, w.wireOperation)) {
      f.mismatches.inc({ ...target, operation: trace.operation, wire_operation: w.wireOperation!.candidates[0]! });
    }
    if (trace.error !== undefined || w.wireSeconds === undefined) return;
    f.wireDuration.observe({ ...target, operation: trace.operation }, w.wireSeconds);
    for (const [phase, v] of Object.entries(w.phases)) f.wirePhase.observe({ ...target, phase }, v);
    if (w.overheadSeconds !== undefined) f.clientOverhead.observe(target, w.overheadSeconds);
  }

  onUnmatched(side: UnmatchedSide, count: number): void {
    this.families.unmatched.inc({ side }, count);
  }

  /** A node forgotten after its grace: its series go. */
  async removeNode(target: string, node: string): Promise<void> {
    this.seenTargets.delete(`${target}\u0000${node}`);
    await removeSeries(this.registry, (l) => l.target === target && l.node === node);
  }
}
