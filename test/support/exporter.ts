// Starts the real exporter (`s3prober run`) as a child process on a free loopback port.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { spawnProc, type Proc } from './proc.js';
import { freePort, REPO_ROOT } from './rgw.js';

export const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');
/** The CLI's first line: how npm start, the container and the installed command run node (start.test
 *  holds source and build to it). The one place the tests spell it. */
export const CLI_FIRST_LINE = '#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=8';
/** The node flags on that line, as they reach the process's argv after the node binary. */
export const CLI_NODE_FLAGS = CLI_FIRST_LINE.slice(CLI_FIRST_LINE.indexOf(' node ') + ' node '.length).split(' ');

export interface Exporter {
  url: string;
  proc: Proc;
  configFile: string;
  metrics(accept?: string): Promise<{ text: string; type: string }>;
  waitReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /** Start the CLI file itself, through its first line (`env -S ... node`, node found on PATH), as
   *  npm start, the container and the installed command do. Default: this test's node runs it. */
  firstLine?: boolean;
}

/** `env` is merged over this process's environment; a variable set to undefined is left out. */
export async function startExporter(config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, opts: StartOptions = {}): Promise<Exporter> {
  const dir = mkdtempSync(join(tmpdir(), 's3prober-exp-'));
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = ['run', '--config', configFile, '--listen', `127.0.0.1:${port}`];
  const proc = opts.firstLine
    ? spawnProc(CLI, args, { env: { ...process.env, ...env } })
    : spawnProc(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  await proc.waitForUrl(`${url}/-/healthy`, 30_000);
  return {
    url,
    proc,
    configFile,
    async metrics(accept) {
      const r = await fetch(`${url}/metrics`, { headers: accept ? { accept } : {} });
      if (!r.ok) throw new Error(`/metrics answered ${r.status}`);
      return { text: await r.text(), type: r.headers.get('content-type') ?? '' };
    },
    async waitReady(timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      while ((await fetch(`${url}/-/ready`)).status !== 200) {
        if (Date.now() > end) throw new Error(`not ready after ${timeoutMs} ms:\n${proc.output().slice(-2000)}`);
        await sleep(100);
      }
    },
    async stop() {
      const r = await proc.kill('SIGTERM', 20_000);
      rmSync(dir, { recursive: true, force: true });
      return r;
    },
  };
}

/** The value of the first sample matching name and every given label, or undefined. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
