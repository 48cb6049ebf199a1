// Replication pairs (opt-in, top level): two targets, a bucket the operator replicates between
// them, and how long an object may take to arrive (src/probes/replication.ts). Its bounds and the
// polls' back-off live here; the schema, its messages, README and the tests derive from them.
import { z } from 'zod';
import { bucketName, isEphemeralBucketName } from './bucket-name.js';
import { duration } from './duration.js';
import { configName } from './name.js';

export const DEFAULT_REPLICATION_TIMEOUT_MS = 15 * 60_000;
/** A day: an object not there after that is not late, it is lost, and keeping it tracked costs polls. */
export const MAX_REPLICATION_TIMEOUT_MS = 24 * 3_600_000;
/** Objects tracked at once (written and not yet arrived, or deleted and not yet gone): each costs a
 *  poll per back-off step, so this bounds the requests and the storage of a stuck replication. */
export const DEFAULT_MAX_IN_FLIGHT = 100;
export const MAX_IN_FLIGHT_LIMIT = 1000;

/** The destination is polled after 0.5 s, 1 s, 2 s, 4 s, ... (each wait twice the one before),
 *  never waiting more than a minute, with a last poll at the timeout: a lag of minutes costs a
 *  handful of polls, and a lag is measured to within the wait before the poll that saw it. */
export const POLL_FIRST_MS = 500;
export const POLL_FACTOR = 2;
export const POLL_MAX_MS = 60_000;

export const replicationSchema = z.strictObject({
  name: configName,
  source: z.string().min(1),
  destination: z.string().min(1),
  // the operator's, replicated by the operator's setup: never created nor deleted by the prober
  bucket: bucketName,
  timeout: duration().pipe(z.number().max(MAX_REPLICATION_TIMEOUT_MS, 'at most 24h')).default(DEFAULT_REPLICATION_TIMEOUT_MS),
  keyPrefix: z.string().regex(/^[A-Za-z0-9_.\-/]{1,64}$/, 'letters, digits, "_", ".", "-", "/"').default('s3prober/'),
  maxInFlight: z.number().int().min(1).max(MAX_IN_FLIGHT_LIMIT).default(DEFAULT_MAX_IN_FLIGHT),
});

export type ReplicationConfig = z.output<typeof replicationSchema>;

/** What checkReplications needs of a target. */
interface TargetBuckets {
  name: string;
  bucket: { mode: 'ephemeral'; prefix: string } | { mode: 'fixed'; name: string };
  durability?: { bucket: string } | undefined;
}

/** The rules across targets and replications: the targets exist and differ, names are unique, and
 *  the bucket is none that a sweep or cleanup empties or deletes (a canary's fixed bucket, a name
 *  of the canary's ephemeral buckets) nor a durable set's. */
export function checkReplications(targets: TargetBuckets[], replications: ReplicationConfig[], ctx: z.RefinementCtx): void {
  const names = new Set(targets.map((t) => t.name));
  const seen = new Set<string>();
  replications.forEach((r, i) => {
    const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: ['replication', i, key], message });
    if (seen.has(r.name)) issue('name', `duplicate replication name ${JSON.stringify(r.name)}`);
    seen.add(r.name);
    for (const side of ['source', 'destination'] as const) {
      if (!names.has(r[side])) issue(side, `no target is named ${JSON.stringify(r[side])} (targets: ${[...names].join(', ')})`);
    }
    if (r.source === r.destination) issue('destination', 'the same target as the source: replication is between two targets');
    for (const t of targets) {
      if (t.bucket.mode === 'fixed' && t.bucket.name === r.bucket) {
        issue('bucket', `the fixed canary bucket of target ${JSON.stringify(t.name)}, which sweeps empty: replication needs a bucket of its own`);
      } else if (t.bucket.mode === 'ephemeral' && isEphemeralBucketName(r.bucket, t.bucket.prefix)) {
        issue('bucket', `named like the ephemeral canary buckets of target ${JSON.stringify(t.name)} (${t.bucket.prefix}-<tag>-<cycle id>), which sweeps delete: choose another name`);
      }
      if (t.durability?.bucket === r.bucket) issue('bucket', `the durable set's bucket of target ${JSON.stringify(t.name)}: replication needs a bucket of its own`);
    }
  });
}
