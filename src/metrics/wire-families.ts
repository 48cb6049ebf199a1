// The metric families of the eBPF wire tracer's results (names in names.ts).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { KernelCounters } from '../results/wire.js';
import { WIRE_METRICS as N } from './names.js';

/** Object-storage latencies: sub-millisecond wire phases on a LAN up to slow large transfers
 *  (14 buckets, like LATENCY_BUCKETS: each is a series per target and operation). */
const WIRE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30];
/** Round-trip times: loopback (tens of microseconds) to intercontinental. */
const RTT_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export type WireFamilies = ReturnType<typeof createWireFamilies>;

/** What the families read when Prometheus scrapes. */
export interface TracerState {
  /** Whether the tracer is attached. */
  up(): boolean;
  /** Whether the config asks for it (ebpf.enabled): down on purpose is no alarm. */
  enabled(): boolean;
  /** The kernel's running totals (undefined while the tracer is down). */
  kernel(): KernelCounters | undefined;
}

/** Kernel-side counters are read when Prometheus scrapes: the state gives running totals. */
export function createWireFamilies(registry: Registry, tracer: TracerState) {
  const registers = [registry];
  // node only on the series of targets that probe their nodes (others leave it out)
  const T = ['target', 'node'];
  const op = [...T, 'operation'];
  // counters fed from kernel totals: add what is new since the last scrape
  let seen: KernelCounters = { events: 0, dropped: 0, hookRunsMissed: 0 };
  const syncKernel = (): void => {
    const k = tracer.kernel();
    if (!k) return;
    if (k.events > seen.events) families.ebpfEvents.inc(k.events - seen.events);
    if (k.dropped > seen.dropped) families.ebpfDropped.inc(k.dropped - seen.dropped);
    if (k.hookRunsMissed > seen.hookRunsMissed) families.ebpfHookRunsMissed.inc(k.hookRunsMissed - seen.hookRunsMissed);
    seen = {
      events: Math.max(seen.events, k.events),
      dropped: Math.max(seen.dropped, k.dropped),
      hookRunsMissed: Math.max(seen.hookRunsMissed, k.hookRunsMissed),
    };
  };
  const families = {
    wireDuration: new Histogram({
      name: N.wireDuration,
      help: 'Kernel view of successful S3 requests: first request byte handed to TCP -> last response byte arrived.',
      labelNames: op, buckets: WIRE_BUCKETS, registers,
    }),
    wirePhase: new Histogram({
      name: N.wirePhase,
      help: 'Wire phases from the kernel, all operations together: connect (SYN -> established), tls (handshake bytes), request (request bytes out), server (last request byte -> first response byte), transfer (first -> last response byte). Only measured phases are observed; connect and tls on new connections only.',
      // per target, not per operation: 4-5 phases x operations was the largest family
      labelNames: [...T, 'phase'], buckets: WIRE_BUCKETS, registers,
    }),
    clientOverhead: new Histogram({
      name: N.clientOverhead,
      help: 'Client duration minus the wire duration and the connect and TLS phases: time spent in the client (event loop, SDK, parsing).',
      // per target: the client's own cost hardly depends on the operation, and per operation it
      // was 150 series a target (the per-operation split is client minus wire duration)
      labelNames: T, buckets: WIRE_BUCKETS, registers,
    }),
    tcpRtt: new Histogram({
      name: N.tcpRtt,
      help: 'TCP round-trip time per request: source="handshake" (SYN -> SYN-ACK, new connections without retransmits) or "min" (the socket\'s windowed minimum RTT; srtt is inflated by delayed ACKs).',
      labelNames: [...T, 'source'], buckets: RTT_BUCKETS, registers,
    }),
    tcpRetransmits: new Counter({
      name: N.tcpRetransmits,
      help: 'TCP retransmits (SYNs included) on the sockets of probe requests.',
      labelNames: T, registers,
    }),
    wireBytes: new Counter({
      name: N.wireBytes,
      help: 'TCP payload bytes of probe requests as the kernel moved them (TLS records included).',
      labelNames: [...T, 'direction'], registers,
    }),
    ebpfUp: new Gauge({
      name: N.ebpfUp,
      help: 'Whether the eBPF wire tracer is attached (1) or not (0: see the log line for what is missing).',
      registers,
      collect() {
        this.set(tracer.up() ? 1 : 0);
      },
    }),
    ebpfEnabled: new Gauge({
      name: N.ebpfEnabled,
      help: 'Whether the configuration asks for the eBPF wire tracer (ebpf.enabled): 0 when it is off on purpose.',
      registers,
      collect() {
        this.set(tracer.enabled() ? 1 : 0);
      },
    }),
    ebpfEvents: new Counter({
      name: N.ebpfEvents,
      help: 'Event records the kernel delivered to the wire tracer.',
      registers,
      collect: syncKernel,
    }),
    ebpfDropped: new Counter({
      name: N.ebpfDropped,
      help: 'Event records lost because the ring buffer was full.',
      registers,
      collect: syncKernel,
    }),
    ebpfHookRunsMissed: new Counter({
      name: N.ebpfHookRunsMissed,
      help: 'Runs of the tracer\'s kernel hooks the kernel skipped because the same hook was already running on that CPU (a softirq interrupting it): what they would have recorded is lost.',
      registers,
      collect: syncKernel,
    }),
    unmatched: new Counter({
      name: N.unmatched,
      help: 'Exchanges that could not be joined: side="wire" (seen by the kernel, no client request claimed it) or side="client" (a request with a socket the kernel did not report).',
      labelNames: ['side'], registers,
    }),
    mismatches: new Counter({
      name: N.mismatches,
      help: 'Requests whose S3 operation read from the wire (request line) differs from the client\'s operation.',
      labelNames: [...T, 'operation', 'wire_operation'], registers,
    }),
  };
  return families;
}
