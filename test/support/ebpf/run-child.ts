// Runs support/child-tracer.js in a separate process, behind a wrapper command (setpriv,
// unshare, ...), and returns the JSON it prints last.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = resolve(fileURLToPath(import.meta.url), '..', 'child-tracer.js');

/** wrapper: the command and its arguments before `node child-tracer.js mode`. */
export function runChildTracer(wrapper: string[], mode: 'exporter' | 'raw-open', env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const out = execFileSync(wrapper[0]!, [...wrapper.slice(1), process.execPath, CHILD, mode], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  return JSON.parse(out.toString().trim().split('\n').pop()!) as Record<string, unknown>;
}
