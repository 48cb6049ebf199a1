// Turns probe results into metric samples. A failure never enters a latency family.
// One recorder per loaded config: its label set follows the config's targets.
import { Registry } from 'prom-client';
import type { Config, TargetConfig } from '../config/schema.js';
import { redactUrl } from '../config/redact.js';
import { SKIP_REASONS, type CycleResult, type OperationResult, type SkipReason } from '../results/cycle.js';
import { OUTCOMES, type Operation } from '../results/operations.js';
import type { RequestTrace } from '../results/request-trace.js';
import { createFamilies, type ProberFamilies } from './families.js';
import { EXEMPLAR_LABELS as X } from './names.js';
import { removeSeries } from './remove-series.js';

type Labels = Record<string, string>;

const NO_EXEMPLAR: Labels = {};

export class MetricsRecorder {
  readonly registry = new Registry();
  readonly families: ProberFamilies;
  /** Labels of each target (key: target) and each node of one (key: target, node). */
  private readonly base = new Map<string, Labels>();
  private readonly targets = new Map<string, TargetConfig>();
  private readonly extra: string[];

  /** operationsOf: the operations a target's cycle runs (their counters start at 0). */
  constructor(config: Config, private readonly operationsOf: (t: TargetConfig) => readonly Operation[]) {
    this.extra = [...new Set(config.targets.flatMap((t) => Object.keys(t.labels)))].sort();
    // Every target-scoped family starts with target, then node where some target probes its nodes
    // (its series only: the others' have no node label), then the union of the extra labels.
    const node = config.targets.some((t) => t.nodes !== undefined) ? ['node'] : [];
    this.families = createFamilies(this.registry, ['target', ...node, ...this.extra]);
    for (const t of config.targets) this.addTarget(t);
  }

  private addTarget(t: TargetConfig): void {
    this.targets.set(t.name, t);
    const labels = this.labelsFor(t, undefined);
    this.base.set(t.name, labels);
    const f = this.families;
    f.targetInfo.set({ ...labels, endpoint: redactUrl(t.endpoint), region: t.region, bucket_mode: t.bucket.mode }, 1);
    for (const reason of SKIP_REASONS) f.cyclesSkipped.inc({ ...labels, reason }, 0);
    if (t.nodes === undefined) this.addAddress(t, labels);
    else if (t.nodes === 'discover') f.discoveryFailures.inc(labels, 0);
  }

  private labelsFor(t: TargetConfig, node: string | undefined): Labels {
    const labels: Labels = { target: t.name };
    if (node !== undefined) labels.node = node;
    for (const k of this.extra) labels[k] = t.labels[k] ?? '';
    return labels;
  }

  /** The series of one address a target is probed at (its endpoint, or a node), from zero. */
  private addAddress(t: TargetConfig, labels: Labels): void {
    const f = this.families;
    f.leftovers.set(labels, 0);
    for (const outcome of ['success', 'failure']) f.cyclesTotal.inc({ ...labels, outcome }, 0);
    // Counters exist from the start so that rate() and increase() see the first failure.
    for (const operation of this.operationsOf(t)) {
      for (const outcome of OUTCOMES) f.opTotal.inc({ ...labels, operation, outcome }, 0);
    }
  }

  /** A target's labels, or one node's (created with its series on first sight). */
  labelsOf(target: string, node?: string): Labels {
    const key = node === undefined ? target : `${target}\u0000${node}`;
    let l = this.base.get(key);
    if (l) return l;
    const t = this.targets.get(target);
    if (!t || node === undefined) throw new Error(`unknown target ${target}`);
    l = this.labelsFor(t, node);
    this.base.set(key, l);
    this.addAddress(t, l);
    return l;
  }

  /** Per-node targets, each cycle: addresses found and probed. */
  onNodes(target: string, count: { found: number; probed: number }): void {
    const labels = this.labelsOf(target);
    this.families.targetNodes.set({ ...labels, state: 'found' }, count.found);
    this.families.targetNodes.set({ ...labels, state: 'probed' }, count.probed);
  }

  onDiscoveryFailure(target: string): void {
    this.families.discoveryFailures.inc(this.labelsOf(target));
  }

  /** A node forgotten after its grace: its series go. */
  async removeNode(target: string, node: string): Promise<void> {
    this.base.delete(`${target}\u0000${node}`);
    await removeSeries(this.registry, (l) => l.target === target && l.node === node);
  }

  onOperation(r: OperationResult): void {
    const f = this.families;
    const base = this.labelsOf(r.target, r.node);
    const op = { ...base, operation: r.operation };
    f.opTotal.inc({ ...op, outcome: r.outcome });
    for (const t of r.traces) this.countBytes(op, t);
    if (r.outcome === 'skipped') return;
    if (r.outcome === 'failure') {
      f.opFailures.inc({ ...op, reason: r.reason ?? 'other' });
      f.opSuccess.set(op, 0);
      return;
    }
    f.opSuccess.set(op, 1);
    const d = r.durationSeconds ?? 0;
    const sized = { ...op, size: r.size };
    // the trace of this observation, when it is exported
    const exemplarLabels = r.span?.sampled ? { [X.traceId]: r.span.traceId, [X.spanId]: r.span.spanId } : NO_EXEMPLAR;
    f.opDuration.observe({ labels: sized, value: d, exemplarLabels });
    f.opLatency.observe(sized, d);
    f.opLast.set(sized, d);
    if (r.prepareSeconds !== undefined) f.phase.observe({ ...base, phase: 'prepare' }, r.prepareSeconds);
    for (const t of r.traces) {
      for (const [phase, v] of Object.entries(t.phases)) if (v !== undefined) f.phase.observe({ ...base, phase }, v);
    }
  }

  private countBytes(op: Labels, t: RequestTrace): void {
    if (t.bytesSent) this.families.bytes.inc({ ...op, direction: 'sent' }, t.bytesSent);
    if (t.bytesReceived) this.families.bytes.inc({ ...op, direction: 'received' }, t.bytesReceived);
  }

  onCycle(c: CycleResult): void {
    const f = this.families;
    const base = this.labelsOf(c.target, c.node);
    f.leftovers.set(base, c.leftovers);
    if (c.aborted) return; // shutdown: not a verdict on the target
    f.cycleDuration.observe(base, c.durationSeconds);
    f.cycleSuccess.set(base, c.success ? 1 : 0);
    f.cyclesTotal.inc({ ...base, outcome: c.success ? 'success' : 'failure' });
    f.lastCycle.set(base, Date.now() / 1000);
  }

  onCycleSkipped(target: string, reason: SkipReason): void {
    this.families.cyclesSkipped.inc({ ...this.labelsOf(target), reason });
  }

  onCycleStart(target: string, delaySeconds: number): void {
    this.families.cycleStartDelay.observe(this.labelsOf(target), Math.max(0, delaySeconds));
  }

  onCertificate(target: string, notAfter: Date, node?: string): void {
    this.families.certExpiry.set(this.labelsOf(target, node), notAfter.getTime() / 1000);
  }
}
