// Child processes for tests: output captured, waits for a line or URL, and killed by pid however
// the test ends (explicit kill(), or the safety net when the test process exits).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { atExit } from './exit.js';

export interface Proc {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr interleaved in arrival order. */
  output(): string;
  /** Resolves with the first output line matching (already seen lines count). Rejects on exit/timeout. */
  waitForLine(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Polls url until it answers with any HTTP status. Rejects if the process exits first. */
  waitForUrl(url: string, timeoutMs?: number): Promise<void>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Signal (default SIGTERM), SIGKILL after graceMs, resolve once exited. Idempotent. */
  kill(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<number>();
let hooked = false;
function hookExit() {
  if (hooked) return;
  hooked = true;
  atExit(() => { for (const pid of live) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } });
}

export function spawnProc(cmd: string, args: string[] = [], opts: SpawnOptions = {}): Proc {
  hookExit();
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not spawn ${cmd}`);
  const pid = child.pid;
  live.add(pid);
  let out = '', err = '', all = '';
  const waiters = new Set<() => void>();
  const onData = (which: 'out' | 'err') => (b: Buffer) => {
    const s = b.toString();
    if (which === 'out') out += s; else err += s;
    all += s;
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData('out'));
  child.stderr!.on('data', onData('err'));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => { done = true; live.delete(pid); for (const w of waiters) w(); resolve({ code, signal }); });
  });
  const describe = () => `${cmd} (pid ${pid})${all ? `; output:\n${all.slice(-2000)}` : ''}`;

  const proc: Proc = {
    child, pid, exited,
    stdout: () => out, stderr: () => err, output: () => all,
    waitForLine(pattern, timeoutMs = 30_000) {
      const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = all.split('\n').find((l) => re.test(l));
          if (line !== undefined) finish(() => resolve(line));
          else if (done) finish(() => reject(new Error(`exited before printing ${re}: ${describe()}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timeout waiting for ${re}: ${describe()}`))), timeoutMs);
        const finish = (f: () => void) => { clearTimeout(timer); waiters.delete(check); f(); };
        waiters.add(check);
        check();
      });
    },
    async waitForUrl(url, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        if (done) throw new Error(`exited before ${url} answered: ${describe()}`);
        try { await fetch(url, { signal: AbortSignal.timeout(1000) }); return; } catch { /* not yet */ }
        if (Date.now() > end) throw new Error(`timeout waiting for ${url}: ${describe()}`);
        await sleep(50);
      }
    },
    async kill(signal = 'SIGTERM', graceMs = 5000) {
      if (!done) {
        try { process.kill(pid, signal); } catch { /* already gone */ }
        const timer = setTimeout(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
  return proc;
}

/** Run to completion with a timeout (SIGKILL when exceeded); never rejects for a non-zero exit. */
export async function runProc(cmd: string, args: string[] = [], opts: SpawnOptions & { timeoutMs?: number } = {}):
  Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const p = spawnProc(cmd, args, opts);
  const timer = setTimeout(() => { void p.kill('SIGKILL'); }, opts.timeoutMs ?? 60_000);
  const r = await p.exited;
  clearTimeout(timer);
  return { ...r, stdout: p.stdout(), stderr: p.stderr() };
}
