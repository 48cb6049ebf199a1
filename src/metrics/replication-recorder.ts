// Turns the replication check's results into metric samples, in the registry of the config's
// MetricsRecorder.
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { REPLICATION_KINDS, type ReplicationInFlight, type ReplicationOutcome, type ReplicationPair } from '../results/replication.js';
import { createReplicationFamilies, type ReplicationFamilies } from './replication-families.js';

/** Failures each series is created with: a timeout of either kind, and an object arriving corrupt. */
const FIRST_REASONS = { object: ['timeout', 'integrity'], delete: ['timeout'] } as const;

const pairLabels = (p: ReplicationPair) => ({ replication: p.replication, source: p.source, destination: p.destination });

export class ReplicationRecorder {
  readonly families: ReplicationFamilies;

  constructor(registry: Registry, config: Config) {
    this.families = createReplicationFamilies(registry);
    const f = this.families;
    for (const r of config.replication) {
      const base = pairLabels({ replication: r.name, source: r.source, destination: r.destination });
      // from the start, so that increase() sees the first of each, and in-flight shows 0
      for (const kind of REPLICATION_KINDS) {
        for (const reason of FIRST_REASONS[kind]) f.failures.inc({ ...base, kind, reason }, 0);
        f.inFlight.set({ ...base, kind }, 0);
      }
      f.skippedWrites.inc(base, 0);
    }
  }

  onReplication(o: ReplicationOutcome): void {
    const labels = { ...pairLabels(o), kind: o.kind };
    if (o.lagSeconds !== undefined) {
      this.families.lag.observe(labels, o.lagSeconds);
      this.families.lastReplicated.set(labels, o.since / 1000 + o.lagSeconds);
    } else {
      this.families.failures.inc({ ...labels, reason: o.reason ?? 'other' });
    }
  }

  onReplicationInFlight(s: ReplicationInFlight): void {
    const base = pairLabels(s);
    for (const kind of REPLICATION_KINDS) this.families.inFlight.set({ ...base, kind }, s.inFlight[kind]);
    if (s.skippedWrite) this.families.skippedWrites.inc(base);
  }
}
