// Helpers shared by the deploy checks (test/unit/deploy/*.test.ts, test/deploy/*.test.ts).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { exportedFamilies } from '../families.js';
import { REPO_ROOT } from '../rgw.js';

export const repoRoot = REPO_ROOT;
export const repoPath = (...p: string[]): string => join(repoRoot, ...p);

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: repoRoot, timeout: 120_000, ...opts });
  if (r.error) throw r.error;
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Throws with the command's output when it does not exit 0, so failures explain themselves. */
export function runOk(cmd: string, args: string[], opts: SpawnSyncOptions = {}): RunResult {
  const r = run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

/** Series names the exporter exports (and Prometheus' own `up`). Rules and dashboards may only use
 *  these, so a typo cannot produce an alert or panel that silently never shows anything. */
export function knownSeriesNames(): Set<string> {
  const names = new Set<string>(['up']);
  const suffixes = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'], plain: [''] };
  for (const [name, kind] of exportedFamilies()) for (const s of suffixes[kind]) names.add(name + s);
  return names;
}

export interface ParsedPromQL {
  errors: string[];
  metrics: string[];
}

/** Parses PromQL with Prometheus' own lezer grammar; returns syntax errors and metric names. */
export function parsePromQL(expr: string): ParsedPromQL {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const metrics: string[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        errors.push(`syntax error at ${node.from}: ${JSON.stringify(expr.slice(Math.max(0, node.from - 20), node.to + 20))}`);
      }
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        metrics.push(expr.slice(node.from, node.to));
      }
    },
  });
  return { errors, metrics };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
}

export function hclfmtPath(): string {
  const p = repoPath('.work', 'bin', 'hclfmt');
  if (!existsSync(p)) throw new Error(`${p} missing: run scripts/setup.d/30-deploy.sh`);
  return p;
}
