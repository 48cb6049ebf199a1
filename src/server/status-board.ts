// What the status API and page show, built when asked from the results: each target's last cycle
// per address (with each request's client and wire phases), the last hour of each operation, the
// durable set's last check, and the tracer's state.
import type { CycleResult, OperationResult } from '../results/cycle.js';
import { durabilityFailures, type DurabilityResult } from '../results/durability.js';
import type { RequestTrace } from '../results/request-trace.js';
import { secondsBetween } from '../results/clock.js';
import { scrubSecrets } from '../log/scrub.js';
import type { ReplicationInFlight, ReplicationOutcome } from '../results/replication.js';
import { HISTORY_SECONDS, StatusHistory } from './status-history.js';
import { ReplicationBoard, type ReplicationSource } from './status-replication.js';
import { STATUS_API_VERSION, type CycleV1, type DurabilityV1, type OperationV1, type RequestV1, type StatusV1, type TargetStatusV1 } from './status-schema.js';
import type { WireView } from './wire-view.js';

/** Findings listed by name; the rest are counted. */
const FINDING_EXAMPLES = 10;

/** One address a target is probed at: its endpoint, or one node behind it. */
export interface ProbeSource {
  node?: string | undefined;
  last?: CycleResult | undefined;
}

/** A configured target as the status shows it: the endpoint already stripped of credentials. */
export interface TargetSource {
  name: string;
  endpoint: string;
  bucketMode: string;
  labels: Record<string, string>;
  running: boolean;
  nodes?: 'discover' | 'listed' | undefined;
  durability?: { bucket: string; objects: number; verifyPerCycle: number } | undefined;
  probes: ProbeSource[];
}

export type TracerState = StatusV1['tracer'];

export class StatusBoard {
  private readonly history = new StatusHistory();
  private readonly durable = new Map<string, { last: DurabilityResult; lastPass?: DurabilityResult }>();
  private readonly replication = new ReplicationBoard();

  constructor(private readonly wire?: WireView) {}

  onCycle(c: CycleResult): void {
    this.history.onCycle(c);
  }

  onDurability(r: DurabilityResult): void {
    const prev = this.durable.get(r.target);
    this.durable.set(r.target, { last: r, lastPass: r.pass ? r : prev?.lastPass });
  }

  onReplication(o: ReplicationOutcome): void {
    this.replication.onOutcome(o);
  }

  onReplicationInFlight(s: ReplicationInFlight): void {
    this.replication.onInFlight(s);
  }

  forgetNode(target: string, node: string): void {
    this.history.forgetNode(target, node);
  }

  /** After a reload: what the targets and replications no longer configured had goes. */
  retain(targets: readonly string[], replications: readonly string[] = []): void {
    this.history.retain(targets);
    this.replication.retain(replications);
    for (const t of this.durable.keys()) if (!targets.includes(t)) this.durable.delete(t);
  }

  build(targets: readonly TargetSource[], tracer: TracerState, version: string, nowMs = Date.now(), replications: readonly ReplicationSource[] = []): StatusV1 {
    const out: StatusV1 = {
      apiVersion: STATUS_API_VERSION,
      generatedAt: new Date(nowMs).toISOString(),
      version,
      historySeconds: HISTORY_SECONDS,
      tracer: { up: tracer.up, ...(tracer.reason === undefined ? {} : { reason: tracer.reason }), ...(tracer.hooks === undefined ? {} : { hooks: tracer.hooks }), ...(tracer.uprobes === undefined ? {} : { uprobes: tracer.uprobes }) },
      targets: targets.map((t) => this.target(t, nowMs)),
    };
    if (replications.length) out.replications = this.replication.build(replications, nowMs);
    return out;
  }

  private target(t: TargetSource, nowMs: number): TargetStatusV1 {
    const out: TargetStatusV1 = {
      name: t.name,
      endpoint: t.endpoint,
      bucketMode: t.bucketMode,
      labels: { ...t.labels },
      running: t.running,
      probes: t.probes.map((p) => ({
        ...(p.node === undefined ? {} : { node: p.node }),
        lastCycle: p.last ? this.cycle(p.last) : null,
        history: this.history.summary(t.name, p.node, nowMs),
      })),
    };
    if (t.nodes) out.nodes = t.nodes;
    if (t.durability) out.durability = this.durability(t.name, t.durability);
    return out;
  }

  private cycle(c: CycleResult): CycleV1 {
    const out: CycleV1 = {
      cycleId: c.cycleId,
      startedAt: new Date(c.startedAt).toISOString(),
      durationSeconds: c.durationSeconds,
      success: c.success,
      aborted: c.aborted,
      leftovers: c.leftovers,
      operations: c.operations.map((o) => this.operation(o, c.startedAt)),
    };
    if (c.internalError !== undefined) out.internalError = scrubSecrets(c.internalError);
    return out;
  }

  private operation(o: OperationResult, cycleStartMs: number): OperationV1 {
    const first = o.traces[0]?.startNs;
    const out: OperationV1 = {
      operation: o.operation,
      size: o.size,
      outcome: o.outcome,
      startOffsetSeconds: Math.max(0, (o.startedAt - cycleStartMs) / 1000),
      bytes: o.bytes,
      requests: first === undefined ? [] : o.traces.map((t) => this.request(t, first)),
    };
    if (o.reason !== undefined) out.reason = o.reason;
    if (o.skippedBecause !== undefined) out.skippedBecause = o.skippedBecause;
    if (o.errorCode !== undefined) out.errorCode = scrubSecrets(o.errorCode);
    if (o.httpStatus !== undefined) out.httpStatus = o.httpStatus;
    if (o.requestId !== undefined) out.requestId = scrubSecrets(o.requestId);
    if (o.message !== undefined) out.message = scrubSecrets(o.message);
    if (o.prepareSeconds !== undefined) out.prepareSeconds = o.prepareSeconds;
    if (o.durationSeconds !== undefined) out.durationSeconds = o.durationSeconds;
    return out;
  }

  private request(t: RequestTrace, firstNs: bigint): RequestV1 {
    const out: RequestV1 = {
      method: t.method,
      offsetSeconds: Math.max(0, secondsBetween(firstNs, t.startNs)),
      reused: t.reused,
      clientPhases: { ...t.phases },
    };
    if (t.endNs !== undefined) out.durationSeconds = secondsBetween(t.startNs, t.endNs);
    if (t.statusCode !== undefined) out.statusCode = t.statusCode;
    if (t.error !== undefined) out.error = scrubSecrets(t.error);
    const w = this.wire?.timingOf(t);
    if (w) {
      out.wire = { phases: { ...w.phases }, newConnection: w.newConnection, tls: w.tls, retransmits: w.retransmits };
      if (w.wireSeconds !== undefined) out.wire.wireSeconds = w.wireSeconds;
      if (w.overheadSeconds !== undefined) out.wire.overheadSeconds = w.overheadSeconds;
      const starts = Object.entries(w.phaseTimes).map(([k, pt]) => [k, secondsBetween(t.startNs, pt.startNs)] as const);
      if (starts.length) out.wire.phaseStarts = Object.fromEntries(starts);
      if (w.wireOperation) out.wire.wireOperation = w.wireOperation.candidates[0]!;
    }
    return out;
  }

  private durability(target: string, conf: NonNullable<TargetSource['durability']>): DurabilityV1 {
    const d = this.durable.get(target);
    const out: DurabilityV1 = { bucket: conf.bucket, objects: conf.objects, verifyPerCycle: conf.verifyPerCycle, last: null, lastPass: null };
    if (!d) return out;
    const r = d.last;
    const count = <K extends string>(m: Partial<Record<K, number>>, k: K) => {
      m[k] = (m[k] ?? 0) + 1;
    };
    const last: NonNullable<DurabilityV1['last']> = {
      startedAt: new Date(r.startedAt).toISOString(),
      durationSeconds: r.durationSeconds,
      verified: r.verified,
      filled: r.filled,
      findings: {},
      findingExamples: r.findings.slice(0, FINDING_EXAMPLES).map((f) => ({ ...f })),
      failures: {},
      requests: { success: 0, failure: 0 },
    };
    for (const f of r.findings) count(last.findings, f.state);
    for (const reason of durabilityFailures(r)) count(last.failures, reason);
    for (const o of r.operations) if (o.outcome !== 'skipped') last.requests[o.outcome]++;
    if (r.stored !== undefined) last.stored = r.stored;
    out.last = last;
    const pass = d.lastPass?.pass;
    if (pass) {
      out.lastPass = { endedAt: new Date(pass.endedAt).toISOString(), objects: { ...pass.objects } };
      if (pass.oldestWrittenAt !== undefined) out.lastPass.oldestWrittenAt = new Date(pass.oldestWrittenAt).toISOString();
    }
    return out;
  }
}
