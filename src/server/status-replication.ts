// What the status API and page show of each replication: objects in flight, the last outcome of
// each kind, and the last hour (replicated, failed, lag quantiles) from a bounded list per
// replication, so memory stays bounded whatever the schedule.
import { REPLICATION_KINDS, type ReplicationInFlight, type ReplicationKind, type ReplicationOutcome } from '../results/replication.js';
import { scrubSecrets } from '../log/scrub.js';
import { HISTORY_SECONDS, quantile } from './status-history.js';
import type { ReplicationV1 } from './status-schema.js';

/** Outcomes kept per replication: an hour of one write (and its delete) every 5 s. */
const CAPACITY = 1440;

/** A configured replication as the status shows it. */
export interface ReplicationSource {
  name: string;
  source: string;
  destination: string;
  bucket: string;
  timeoutMs: number;
}

interface Kept {
  outcomes: ReplicationOutcome[];
  last: Partial<Record<ReplicationKind, ReplicationOutcome>>;
  inFlight: Record<ReplicationKind, number>;
}

export class ReplicationBoard {
  private readonly kept = new Map<string, Kept>();

  private of(name: string): Kept {
    const k = this.kept.get(name) ?? { outcomes: [], last: {}, inFlight: { object: 0, delete: 0 } };
    this.kept.set(name, k);
    return k;
  }

  onOutcome(o: ReplicationOutcome): void {
    const k = this.of(o.replication);
    k.outcomes.push(o);
    if (k.outcomes.length > CAPACITY) k.outcomes.shift();
    k.last[o.kind] = o;
  }

  onInFlight(s: ReplicationInFlight): void {
    this.of(s.replication).inFlight = { ...s.inFlight };
  }

  /** After a reload: what the replications no longer configured had goes. */
  retain(names: readonly string[]): void {
    for (const n of this.kept.keys()) if (!names.includes(n)) this.kept.delete(n);
  }

  build(sources: readonly ReplicationSource[], nowMs: number): ReplicationV1[] {
    return sources.map((r) => {
      const k = this.kept.get(r.name);
      const fromMs = nowMs - HISTORY_SECONDS * 1000;
      return {
        name: r.name, source: r.source, destination: r.destination, bucket: r.bucket, timeoutSeconds: r.timeoutMs / 1000,
        inFlight: { ...(k?.inFlight ?? { object: 0, delete: 0 }) },
        last: REPLICATION_KINDS.flatMap((kind) => (k?.last[kind] ? [outcomeV1(k.last[kind])] : [])),
        history: REPLICATION_KINDS.map((kind) => {
          const recent = (k?.outcomes ?? []).filter((o) => o.kind === kind && o.since >= fromMs);
          const lags = recent.flatMap((o) => (o.lagSeconds === undefined ? [] : [o.lagSeconds])).sort((a, b) => a - b);
          return {
            kind, replicated: lags.length, failed: recent.length - lags.length,
            p50LagSeconds: quantile(lags, 0.5), p99LagSeconds: quantile(lags, 0.99),
            since: recent.length ? new Date(Math.min(...recent.map((o) => o.since))).toISOString() : null,
          };
        }),
      };
    });
  }
}

function outcomeV1(o: ReplicationOutcome): ReplicationV1['last'][number] {
  return {
    kind: o.kind, key: o.key, since: new Date(o.since).toISOString(), polls: o.polls,
    ...(o.lagSeconds === undefined ? {} : { lagSeconds: o.lagSeconds }),
    ...(o.reason === undefined ? {} : { reason: o.reason }),
    ...(o.detail === undefined ? {} : { detail: scrubSecrets(o.detail) }),
  };
}
