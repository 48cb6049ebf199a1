// The harness's side of a run (bench/run.ts): the CPU layout, how every measured prober starts, the
// child processes it talks to (workers: bench/worker.ts; servers: bench/servers.ts), the machine.
import { mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release } from 'node:os';
import path from 'node:path';
import { cliFirstLine, cpuLayout, REPO_ROOT, round, startChild, type Child, type CpuLayout, type NodeForm } from './lib.js';
import type { WorkerOptions } from './worker.js';

/** JSON from the workers and the sections, as the tables and verdicts read it. */
// biome-ignore lint/suspicious/noExplicitAny: JSON from the workers, read field by field by the tables
export type R = Record<string, any>;

export const RESULTS = path.join(REPO_ROOT, 'bench/results');

/** How every measured prober process runs. `shipped` (default): as `s3prober run` starts, with the
 *  V8 flags and environment of the CLI's first line (dist/src/cli/main.js: `#!/usr/bin/env -S
 *  VAR=value node --flag`), so that every section measures what ships; `tsc`
 *  (S3PROBER_BENCH_NODE_FORM=tsc): node's defaults. */
export interface ProberForm extends NodeForm { form: 'shipped' | 'tsc' }

export interface Harness {
  /** --quick: the tiny version of every section. */
  quick: boolean;
  /** The tracer on where a section measures with it (not --no-ebpf). */
  ebpf: boolean;
  /** The prober's core and the servers' cores (cpuLayout). */
  layout: CpuLayout;
  log(s: string): void;
  proberForm(): ProberForm;
  /** A measured prober process, started as the CLI starts (see ProberForm), on the prober's core
   *  unless `pin` says otherwise (a shard's own core). */
  worker<M extends keyof WorkerOptions>(mode: M, o: WorkerOptions[M], nodeArgs?: string[], pin?: string[]): Child;
  /** A worker run to its result. */
  run1<M extends keyof WorkerOptions>(mode: M, o: WorkerOptions[M]): Promise<R>;
  /** A server process of bench/servers.ts, off the prober's core, once it listens. */
  server(kind: 'proxy' | 'echo', a?: string[]): Promise<{ child: Child; url: string }>;
  /** Figures of the whole machine: other users' load changes them, so it is part of the result. */
  machine(): R;
}

export function createHarness(o: { quick: boolean; ebpf: boolean; profile: boolean; proberCores?: number }): Harness {
  mkdirSync(RESULTS, { recursive: true });
  const layout = cpuLayout(o.proberCores);
  let proberFormRead: ProberForm | undefined;
  let started = 0; // shards start in the same millisecond: each profile its own name
  const h: Harness = {
    quick: o.quick,
    ebpf: o.ebpf,
    layout,
    log: (s) => process.stderr.write(`bench: ${s}\n`),
    proberForm() {
      proberFormRead ??= process.env.S3PROBER_BENCH_NODE_FORM === 'tsc' ? { form: 'tsc', nodeArgs: [], env: {} } : { form: 'shipped', ...cliFirstLine() };
      return proberFormRead;
    },
    worker(mode, w, nodeArgs = [], pin = layout.prober) {
      const prof = o.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(RESULTS, 'profiles')}`, `--cpu-prof-name=${mode}-${Date.now()}-${++started}.cpuprofile`] : [];
      const form = h.proberForm();
      return startChild('worker.js', [mode, JSON.stringify(w)], { pin, nodeArgs: [...prof, ...form.nodeArgs, ...nodeArgs], env: { ...process.env, ...form.env } });
    },
    async run1(mode, w) {
      const c = h.worker(mode, w);
      try {
        const { type: _t, ...r } = await c.next('result');
        return r;
      } finally {
        await c.stop(10_000);
      }
    },
    async server(kind, a = []) {
      const child = startChild('servers.js', [kind, ...a], { pin: layout.servers });
      const m = await child.next<{ url: string }>('ready', 30_000);
      return { child, url: m.url };
    },
    machine() {
      const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
      return {
        nproc: availableParallelism(),
        cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model,
        kernel: release(),
        node: process.version,
        root: process.getuid?.() === 0,
        pinned: layout.pinned ? { prober: layout.prober.join(' '), servers: layout.servers.join(' ') } : false,
        loadavgAtStart: loadavg().map((x) => round(x, 2)),
        prober: h.proberForm(),
      };
    },
  };
  return h;
}
