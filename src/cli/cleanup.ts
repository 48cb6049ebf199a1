// `s3prober cleanup`: sweep every target's own prefix; one line per target; false if anything remains.
// `--durable` also removes every durable set, on purpose: nothing else ever does. `--replication`
// also removes each replication's keys at both of its sides (a running prober removes only its own
// abandoned ones); the replicated bucket is the operator's and stays.
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { discoverNodes } from '../probes/discovery.js';
import { createTargetClient } from '../s3/client.js';
import { removeDurableSet, removeReplicationKeys, type SweepResult, sweep } from '../probes/sweep.js';
import { scrubSecrets } from '../log/scrub.js';
import { EXIT } from './exit-codes.js';
import { fail } from './fail.js';

export interface CleanupOptions {
  /** Only what is at least this old (ephemeral names and keys; not the durable sets). */
  olderThanMs: number;
  /** Also every target's durable set (its keys; its bucket stays). */
  durable: boolean;
  /** Also every replication's keys at its source and destination (the bucket stays). */
  replication?: boolean;
}

/** The command: exits 0 only if nothing of the prober's is left. */
export async function cleanupCommand(file: string, o: CleanupOptions): Promise<never> {
  const config = await loadConfig(file).catch(fail);
  process.exit((await runCleanup(config, o)) ? EXIT.ok : EXIT.failure);
}

export async function runCleanup(config: Config, o: CleanupOptions, out: NodeJS.WritableStream = process.stdout): Promise<boolean> {
  let clean = true;
  const report = (what: string, r: SweepResult, buckets = true): void => {
    out.write(`${what}: removed ${buckets ? `${r.buckets.length} bucket(s), ` : ''}${r.keys} key(s), ${r.uploads} upload(s)${r.errors.length ? `; ${r.errors.length} error(s), ${r.remaining.length} left` : ''}\n`);
    for (const n of r.notes) out.write(`  note: ${scrubSecrets(n)}\n`);
    for (const e of r.errors) out.write(`  error: ${scrubSecrets(e)}\n`);
    if (r.errors.length || r.remaining.length) clean = false;
  };
  for (const t of config.targets) {
    // a per-node target through its first node: its name may resolve only for its resolver
    const node = t.nodes === undefined ? undefined : (await discoverNodes(t)).nodes[0];
    const client = createTargetClient(t, node);
    try {
      const opts = { olderThanMs: o.olderThanMs, timeoutMs: t.timeout };
      report(t.name, await sweep(client.s3, t, opts));
      if (o.durable && t.durability) {
        report(`${t.name} durable set (bucket ${t.durability.bucket}, kept)`, await removeDurableSet(client.s3, t, { ...opts, olderThanMs: 0 }), false);
      }
      for (const r of o.replication ? config.replication : []) {
        for (const side of ['source', 'destination'] as const) {
          if (r[side] !== t.name) continue;
          report(`${t.name} replication ${r.name} (${side}, bucket ${r.bucket}, kept)`, await removeReplicationKeys(client.s3, t, r, opts), false);
        }
      }
    } finally {
      client.destroy();
    }
  }
  return clean;
}
