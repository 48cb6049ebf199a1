// `s3prober cleanup`: sweep every target's own prefix; one line per target; false if anything remains.
import type { Config } from '../config/schema.js';
import { createTargetClient } from '../s3/client.js';
import { sweep } from '../probes/sweep.js';
import { scrubSecrets } from '../log/scrub.js';

export async function runCleanup(config: Config, olderThanMs: number, out: NodeJS.WritableStream = process.stdout): Promise<boolean> {
  let clean = true;
  for (const t of config.targets) {
    const client = createTargetClient(t);
    try {
      const r = await sweep(client.s3, t, { olderThanMs, timeoutMs: t.timeout });
      out.write(`${t.name}: removed ${r.buckets.length} bucket(s), ${r.keys} key(s), ${r.uploads} upload(s)${r.errors.length ? `; ${r.errors.length} error(s), ${r.remaining.length} left` : ''}\n`);
      for (const n of r.notes) out.write(`  note: ${scrubSecrets(n)}\n`);
      for (const e of r.errors) out.write(`  error: ${scrubSecrets(e)}\n`);
      if (r.errors.length || r.remaining.length) clean = false;
    } finally {
      client.destroy();
    }
  }
  return clean;
}
