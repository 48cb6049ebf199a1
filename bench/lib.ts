// Shared pieces of the benchmark harness: statistics, child processes with IPC, CPU pinning, the
// bench RGW, and the configs the workers run. Figures only; nothing here asserts a time.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/bench/lib.js -> repository root
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST_BENCH = path.dirname(fileURLToPath(import.meta.url));

export interface S3Endpoint {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Nearest-rank percentile (q in 0..1) of unsorted values; undefined for none. */
function pct(xs: readonly number[], q: number): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** The median of unsorted values, the mean of the middle two for an even count. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export function dist(xs: readonly number[]): { n: number; p50?: number; p99?: number; max?: number } {
  return { n: xs.length, p50: pct(xs, 0.5), p99: pct(xs, 0.99), max: pct(xs, 1) };
}

export const round = (x: number | undefined, digits = 3): number | undefined =>
  x === undefined || !Number.isFinite(x) ? undefined : Number(x.toFixed(digits));

/** A figure for a table or a log line, `-` when there is none. */
export const fmt = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

/** Core layout: the prober gets core 0 alone, RGW/proxies/load servers the others (if any).
 *  Pinning keeps the server's CPU from landing on the prober's core and blurring its figures.
 *  `proberCores` (the sharded scale section's shards) keeps cores 0..k-1 for probers, k at most
 *  all cores but one: the servers always keep at least the last core. */
export function cpuLayout(proberCores = 1): CpuLayout {
  const n = availableParallelism();
  const have = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
  if (!have || n < 2 || process.env.S3PROBER_BENCH_NO_PIN === '1') return { prober: [], servers: [], pinned: false, proberCores: [], serverCores: [] };
  const k = Math.max(1, Math.min(proberCores, n - 1));
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  return { prober: pinTo(0), servers: ['taskset', '-c', k === n - 1 ? `${k}` : `${k}-${n - 1}`], pinned: true, proberCores: range(0, k), serverCores: range(k, n) };
}
export interface CpuLayout {
  /** The `taskset` prefix of the (one) measured prober: core 0. */
  prober: string[];
  /** The `taskset` prefix of RGW, proxies and load servers. */
  servers: string[];
  pinned: boolean;
  /** The cores kept for probers alone, and the servers' cores (empty when not pinned). */
  proberCores: number[];
  serverCores: number[];
}
/** The `taskset` prefix that pins a process to one core. */
export const pinTo = (core: number): string[] => ['taskset', '-c', String(core)];

const live = new Set<ChildProcess>();
let hooked = false;
/** Kills every child still running when the harness exits, by pid. */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) if (c.pid && c.exitCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  });
}

/** How the exporter starts: the environment and node flags of the CLI's first line
 *  (dist/src/cli/main.js: `#!/usr/bin/env -S VAR=value node --flag`). */
export interface NodeForm { nodeArgs: string[]; env: Record<string, string> }
export function cliFirstLine(cli = path.join(REPO_ROOT, 'dist/src/cli/main.js')): NodeForm {
  const first = readFileSync(cli, 'utf8').split('\n', 1)[0] ?? '';
  const words = /^#!\/usr\/bin\/env(?: -S)? (.*)$/.exec(first)?.[1]?.trim().split(/\s+/) ?? [];
  const at = words.indexOf('node');
  if (at < 0) throw new Error(`${cli}: no node on its first line: ${first}`);
  const env = Object.fromEntries(words.slice(0, at).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  return { nodeArgs: words.slice(at + 1), env };
}

/** `VAR=value --flag ...`, for tables and logs. */
export const describeForm = (f: NodeForm): string => [...Object.entries(f.env).map(([k, v]) => `${k}=${v}`), ...f.nodeArgs].join(' ');

export interface Child {
  proc: ChildProcess;
  /** Next IPC message of the given type (or a rejection if the child exits first). */
  next<T = Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T>;
  send(msg: unknown): void;
  /** Waits up to graceMs for the child to exit by itself (a worker writing its CPU profile), then TERM, then KILL. */
  stop(graceMs?: number): Promise<void>;
}

/** A node script of dist/bench as a child with IPC, optionally behind a `taskset` prefix. */
export function startChild(script: string, args: string[], opts: { pin?: string[]; nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): Child {
  hookExit();
  const argv = [...(opts.nodeArgs ?? []), path.join(DIST_BENCH, script), ...args];
  const [cmd, ...pre] = opts.pin?.length ? [...opts.pin, process.execPath] : [process.execPath];
  // NODE_NO_WARNINGS: the AWS SDK's Node-version notice would be repeated by every child
  const env = { ...(opts.env ?? process.env), NODE_NO_WARNINGS: '1' };
  const proc = spawn(cmd!, [...pre, ...argv], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
  live.add(proc);
  const queue: Record<string, unknown>[] = [];
  const waiters: { type: string; resolve(m: Record<string, unknown>): void; reject(e: Error): void }[] = [];
  let exited: Error | undefined;
  const deliver = () => {
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i]!;
      const at = queue.findIndex((m) => m.type === w.type || m.type === 'error');
      if (at >= 0) {
        const [m] = queue.splice(at, 1);
        waiters.splice(i--, 1);
        if (m!.type === 'error' && w.type !== 'error') w.reject(new Error(`${script} ${args[0] ?? ''}: ${String(m!.message)}`));
        else w.resolve(m!);
      } else if (exited) {
        waiters.splice(i--, 1);
        w.reject(exited);
      }
    }
  };
  proc.on('message', (m) => { queue.push(m as Record<string, unknown>); deliver(); });
  proc.on('exit', (code, signal) => {
    live.delete(proc);
    exited = new Error(`${script} ${args[0] ?? ''} exited (code ${code}, signal ${signal})`);
    deliver();
  });
  return {
    proc,
    next<T>(type: string, timeoutMs = 600_000) {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${script} ${args[0] ?? ''}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          type,
          resolve: (m) => { clearTimeout(timer); resolve(m as T); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        deliver();
      });
    },
    send(msg) { if (proc.connected) proc.send(msg as object); },
    async stop(graceMs = 0) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      if (graceMs > 0 && await Promise.race([gone.then(() => true), new Promise((r) => setTimeout(() => r(false), graceMs))])) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    },
  };
}

export interface BenchRgw extends S3Endpoint {
  stop(): void;
}

/** The bench's own Ceph RGW (own BASE and ports, so it never collides with `npm test`'s). */
export function startBenchRgw(pin: string[]): BenchRgw {
  const env = {
    ...process.env,
    BASE: process.env.S3PROBER_BENCH_RGW_BASE ?? path.join(REPO_ROOT, '.work/rgw-bench'),
    RGW_PORT: process.env.S3PROBER_BENCH_RGW_PORT ?? '27480',
    MON_PORT: process.env.S3PROBER_BENCH_MON_PORT ?? '26789',
    S3_ACCESS_KEY: 'bench',
    S3_SECRET_KEY: 'bench-secret',
    RGW_FORCE: '1', // fresh cluster: no state from an interrupted earlier run
  };
  const start = path.join(REPO_ROOT, 'scripts/rgw-start.sh');
  const stop = path.join(REPO_ROOT, 'scripts/rgw-stop.sh');
  let stopped = false;
  const doStop = () => {
    if (stopped) return;
    stopped = true;
    spawnSync('bash', [stop], { env, stdio: 'ignore' });
  };
  process.on('exit', doStop);
  // the daemons inherit the affinity of the script: RGW runs off the prober's core
  const [cmd, ...pre] = pin.length ? [...pin, 'bash'] : ['bash'];
  const r = spawnSync(cmd!, [...pre, start], { env, encoding: 'utf8', timeout: 300_000 });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('RGW_READY '));
  if (r.status !== 0 || !line) {
    doStop();
    throw new Error(`rgw-start.sh failed (status ${r.status}): ${r.stderr}`);
  }
  return { endpoint: `http://127.0.0.1:${env.RGW_PORT}`, accessKeyId: env.S3_ACCESS_KEY, secretAccessKey: env.S3_SECRET_KEY, stop: doStop };
}

/** The scale sections' config name for `targets` targets (their buckets' prefix, their targets' names' stem). */
export const scaleConfigName = (targets: number): string => `scale${targets}`;
/** The targets' names of a bench config, as benchConfigYaml writes them. */
export const benchTargetNames = (name: string, targets: number): string[] => Array.from({ length: targets }, (_, i) => `${name}-${i}`);

/** A config for the prober: `n` targets named <prefix>-<i> on one endpoint, 4 KiB objects only
 *  (the unit of cost; the default 1 MiB + 6 MiB multipart would measure RGW, not us). */
export function benchConfigYaml(o: {
  endpoint: string; accessKeyId: string; secretAccessKey: string; targets: number; name: string;
  schedule: string; ebpf: boolean; timeout?: string; spread?: number; batchSize?: number;
}): string {
  const targets = benchTargetNames(o.name, o.targets).map((name) => [
    `  - name: ${name}`,
    `    endpoint: ${o.endpoint}`,
    `    credentials: { accessKeyId: "${o.accessKeyId}", secretAccessKey: "${o.secretAccessKey}" }`,
    `    bucket: { mode: ephemeral, prefix: ${o.name} }`,
    `    objectSizes: [4KiB]`,
    `    batchSize: ${o.batchSize ?? 15}`,
  ].join('\n'));
  return [
    'listen: 127.0.0.1:0',
    `schedule: "${o.schedule}"`,
    `timeout: ${o.timeout ?? '10s'}`,
    `spread: ${o.spread ?? 0.8}`,
    'jitter: 0',
    'logLevel: warn',
    `ebpf: { enabled: ${o.ebpf} }`,
    'targets:',
    ...targets,
  ].join('\n');
}
