// The metric families of the replication check's results (names in names.ts). Every series is one
// replication's (label `replication`), with its two targets as labels `source` and `destination`.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { REPLICATION_KINDS } from '../results/replication.js';
import { REPLICATION_LAG_BUCKETS } from './buckets.js';
import { REPLICATION_METRICS as N } from './names.js';

export type ReplicationFamilies = ReturnType<typeof createReplicationFamilies>;

const PAIR_LABELS = ['replication', 'source', 'destination'];

export function createReplicationFamilies(registry: Registry) {
  const registers = [registry];
  const kinds = REPLICATION_KINDS.join('|');
  return {
    lag: new Histogram({
      name: N.lag,
      help: `Seconds from the source acknowledging a write or delete (kind ${kinds}) to the destination first showing it (every byte verified) or its absence; an upper bound, to within the poll back-off.`,
      labelNames: [...PAIR_LABELS, 'kind'], buckets: REPLICATION_LAG_BUCKETS, registers,
    }),
    inFlight: new Gauge({
      name: N.inFlight,
      help: 'Objects followed now: written and not yet at the destination (kind object), deleted at the source and still at the destination (kind delete).',
      labelNames: [...PAIR_LABELS, 'kind'], registers,
    }),
    failures: new Counter({
      name: N.failures,
      help: 'Writes (kind object) and deletes (kind delete) that did not replicate: timeout (not there within the timeout), integrity (arrived with other bytes), or the reason the source request or the last poll failed.',
      labelNames: [...PAIR_LABELS, 'kind', 'reason'], registers,
    }),
    lastReplicated: new Gauge({
      name: N.lastReplicated,
      help: 'Unix time the destination last showed a write (kind object) or a delete (kind delete) of the source.',
      labelNames: [...PAIR_LABELS, 'kind'], registers,
    }),
    skippedWrites: new Counter({
      name: N.skippedWrites,
      help: 'Rounds of the source that wrote no object because maxInFlight objects were in flight.',
      labelNames: PAIR_LABELS, registers,
    }),
  };
}
