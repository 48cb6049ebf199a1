// `npm run bench -- peer`: s3prober against the script it replaces. A prober of the seed blog's
// design (bench/peers/seed_prober.py: boto3 + prometheus_client, one Python loop) and `s3prober run`
// run at the same time, on the same core, at the same pace (a cycle per target every second, 4 KiB
// objects) against the bench RGW; tracer off, then on, alternating, at 1 and 10 targets. Each is
// read from /proc (CPU, RSS, anonymous RSS) and its own /metrics (requests sent) over several
// windows; the figures are ratios to the peer measured in the same window, since only a same-time
// comparison survives the VM's speed swings.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnProc, type Proc } from '../../test/support/proc.js';
import { freePort } from '../../test/support/rgw.js';
import type { Harness, R } from '../harness.js';
import { benchConfigYaml, REPO_ROOT, round, type S3Endpoint } from '../lib.js';
import { cpuSecondsOf, memoryOf } from '../proc-usage.js';

const PEER = path.join(REPO_ROOT, 'bench/peers/seed_prober.py');
const CLI = path.join(REPO_ROOT, 'dist/src/cli/main.js');
// Both die with the harness, however it ends (a test's timeout kills it with SIGKILL).
const DIE_WITH_PARENT = ['setpriv', '--pdeathsig', 'KILL'];
// Debian's interpreter, with Debian's boto3 and prometheus_client (another python3 may be first on PATH)
const PYTHON = '/usr/bin/python3';
// The exporter's node: the harness's own unless S3PROBER_BENCH_NODE names another, e.g. the
// image's Node 24 (its CPU per request and its memory differ from Node 20's: BENCHMARKS.md, issue 21)
const EXPORTER_NODE = process.env.S3PROBER_BENCH_NODE ?? process.execPath;
/** Up to this long for a process to answer, or to stop after SIGTERM (the peer ends its cycle). */
const START_MS = 60_000;
const STOP_GRACE_MS = 15_000;

export interface Measured { name: string; proc: Proc; port: number; requests(text: string): number }

/** Requests sent so far, from the process's own /metrics. */
export async function requestsOf(m: Measured): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${m.port}/metrics`);
  return m.requests(await r.text());
}

function sumOf(text: string, re: RegExp): number {
  let n = 0;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (m) n += Number(m[1]);
  }
  return n;
}

export const stop = (m: Measured) => m.proc.kill('SIGTERM', STOP_GRACE_MS);

export async function startPeer(pin: string[], rgw: S3Endpoint, targets: number): Promise<Measured> {
  const port = await freePort();
  const [cmd, ...pre] = [...pin, ...DIE_WITH_PARENT, PYTHON];
  const proc = spawnProc(cmd!, [...pre, PEER], {
    env: { ...process.env, PEER_ENDPOINT: rgw.endpoint, PEER_ACCESS_KEY: rgw.accessKeyId, PEER_SECRET_KEY: rgw.secretAccessKey, PEER_PORT: String(port), PEER_TARGETS: String(targets), PEER_INTERVAL: '1', PEER_OBJECT_SIZE: '4096' },
  });
  await proc.waitForLine(/PEER_READY/, START_MS);
  return { name: 'peer', proc, port, requests: (t) => sumOf(t, /^peer_http_requests_total (\S+)/) };
}

export interface ExporterRun {
  name: string;
  /** CPU pinning (taskset) in front of the node binary. */
  pin: string[];
  node: string;
  /** Node's flags, then the CLI file (and flags between them). */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** benchConfigYaml's config; its listen address is replaced by the port the run gets. */
  yaml: string;
  /** Where the config is written. */
  file: string;
}

/** `s3prober run` with a bench config, dying with the harness, once every target's first cycle is done. */
export async function startExporterRun(o: ExporterRun): Promise<Measured> {
  const port = await freePort();
  writeFileSync(o.file, o.yaml.replace('listen: 127.0.0.1:0', `listen: 127.0.0.1:${port}`));
  const [cmd, ...pre] = [...o.pin, ...DIE_WITH_PARENT, o.node];
  const proc = spawnProc(cmd!, [...pre, ...o.args, 'run', '--config', o.file], { env: { ...o.env, NODE_NO_WARNINGS: '1' } });
  const end = Date.now() + START_MS;
  while ((await fetch(`http://127.0.0.1:${port}/-/ready`).then((r) => r.status, () => 0)) !== 200) {
    if (proc.child.exitCode !== null || Date.now() > end) {
      await proc.kill('SIGTERM', STOP_GRACE_MS);
      throw new Error(`${o.name}: s3prober run never became ready: ${proc.output().slice(-4000)}`);
    }
    await sleep(250);
  }
  // requests sent: every operation that was attempted (skipped ones sent nothing)
  return { name: o.name, proc, port, requests: (t) => sumOf(t, /^s3prober_operations_total\{[^}]*outcome="(?:success|failure)"[^}]*\} (\S+)/) };
}

function startProber(h: Harness, rgw: S3Endpoint, targets: number, ebpf: boolean, dir: string): Promise<Measured> {
  const form = h.proberForm();
  return startExporterRun({
    name: `s3prober (tracer ${ebpf ? 'on' : 'off'})`, pin: h.layout.prober, node: EXPORTER_NODE, args: [...form.nodeArgs, CLI],
    env: { ...process.env, ...form.env }, file: path.join(dir, `s3prober-${ebpf ? 'on' : 'off'}.yaml`),
    yaml: benchConfigYaml({ ...rgw, targets, name: `peerbench-${ebpf ? 'on' : 'off'}`, schedule: '* * * * * *', ebpf }),
  });
}

interface Window { cpuSeconds: number; requests: number }
interface Figures { cpuMsPerRequest: number; requestsPerSecond: number; peakRssMb: number; peakAnonMb: number }
interface Pair { targets: number; ebpf: boolean; peer: Figures; prober: Figures; cpuRatio: number; cpuRatioPerWindow: number[]; peakRssRatio: number; anonRssRatio: number }

/** One pair, peer and s3prober side by side: warm-up, then `windows` windows of `seconds`. */
async function runPair(h: Harness, rgw: S3Endpoint, targets: number, ebpf: boolean, o: { warm: number; windows: number; seconds: number }): Promise<Pair> {
  const dir = mkdtempSync(path.join(tmpdir(), 's3prober-peer-'));
  const procs: Measured[] = [];
  try {
    procs.push(await startPeer(h.layout.prober, rgw, targets));
    procs.push(await startProber(h, rgw, targets, ebpf, dir));
    await sleep(o.warm * 1000);
    const peak = new Map(procs.map((m) => [m.name, { rssMb: 0, anonMb: 0 }]));
    const sample = () => {
      for (const m of procs) {
        const mem = memoryOf(m.proc.pid);
        const p = peak.get(m.name)!;
        p.rssMb = Math.max(p.rssMb, mem.rssMb);
        p.anonMb = Math.max(p.anonMb, mem.anonMb);
      }
    };
    const sampler = setInterval(sample, 500);
    const windows: Record<string, Window>[] = [];
    try {
      let before = await Promise.all(procs.map(async (m) => ({ cpu: cpuSecondsOf(m.proc.pid), req: await requestsOf(m) })));
      for (let w = 0; w < o.windows; w++) {
        await sleep(o.seconds * 1000);
        const after = await Promise.all(procs.map(async (m) => ({ cpu: cpuSecondsOf(m.proc.pid), req: await requestsOf(m) })));
        windows.push(Object.fromEntries(procs.map((m, i) => [m.name, { cpuSeconds: after[i]!.cpu - before[i]!.cpu, requests: after[i]!.req - before[i]!.req }])));
        before = after;
      }
    } finally {
      clearInterval(sampler);
    }
    sample();
    const [peer, prober] = procs.map((m) => m.name) as [string, string];
    const perReq = (w: Record<string, Window>, name: string) => (w[name]!.cpuSeconds * 1000) / w[name]!.requests;
    const ratios = windows.map((w) => perReq(w, prober) / perReq(w, peer));
    const r3 = (x: number) => round(x, 3) ?? Number.NaN;
    const total = (name: string) => windows.reduce((a, w) => ({ cpuSeconds: a.cpuSeconds + w[name]!.cpuSeconds, requests: a.requests + w[name]!.requests }), { cpuSeconds: 0, requests: 0 });
    const of = (name: string): Figures => {
      const t = total(name);
      const m = procs.find((p) => p.name === name)!;
      return {
        cpuMsPerRequest: r3((t.cpuSeconds * 1000) / t.requests), requestsPerSecond: r3(t.requests / (o.windows * o.seconds)),
        peakRssMb: r3(Math.max(peak.get(name)!.rssMb, memoryOf(m.proc.pid).peakRssMb)), peakAnonMb: r3(peak.get(name)!.anonMb),
      };
    };
    const [a, b] = [of(prober), of(peer)];
    return {
      targets, ebpf, peer: b, prober: a, cpuRatio: r3(a.cpuMsPerRequest / b.cpuMsPerRequest), cpuRatioPerWindow: ratios.map(r3),
      peakRssRatio: r3(a.peakRssMb / b.peakRssMb), anonRssRatio: r3(a.peakAnonMb / b.peakAnonMb),
    };
  } finally {
    for (const m of procs.reverse()) await stop(m);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function sectionPeer(h: Harness, rgw: S3Endpoint, args: { warmup?: string } = {}): Promise<R> {
  const have = spawnSync(PYTHON, ['-c', 'import boto3, prometheus_client'], { stdio: 'ignore' }).status === 0;
  if (!have) throw new Error('the peer needs python3-boto3 and python3-prometheus-client (sudo bash scripts/setup.sh installs them)');
  const o = h.quick ? { warm: 2, windows: 2, seconds: 2 } : { warm: 10, windows: 4, seconds: 15 };
  // Node 20's CPU per request keeps falling for a minute or two at one cycle a second (V8 tiers
  // the SDK's code up slowly at ~26 requests a second; Node 24 sooner): --warmup 120 measures it warm
  if (args.warmup !== undefined) o.warm = Number(args.warmup);
  // tracer off/on alternate so the VM's drift hits both; each pair is a fresh peer and exporter
  const order = (h.quick ? [false, true] : [false, true, false, true]).map((on) => on && h.ebpf);
  const runs: Pair[] = [];
  for (const targets of h.quick ? [1] : [1, 10]) {
    for (const ebpf of order) {
      h.log(`peer: ${targets} target(s), tracer ${ebpf ? 'on' : 'off'}, ${o.windows} x ${o.seconds} s after ${o.warm} s`);
      runs.push(await runPair(h, rgw, targets, ebpf, o));
    }
  }
  const agg = (targets: number, ebpf: boolean) => {
    const rs = runs.filter((r) => r.targets === targets && r.ebpf === ebpf);
    if (!rs.length) return undefined;
    const mean = (k: (r: Pair) => number) => round(rs.reduce((a, r) => a + k(r), 0) / rs.length, 3);
    return {
      runs: rs.length, cpuRatio: mean((r) => r.cpuRatio), peakRssRatio: mean((r) => r.peakRssRatio), anonRssRatio: mean((r) => r.anonRssRatio),
      proberCpuMsPerRequest: mean((r) => r.prober.cpuMsPerRequest), peerCpuMsPerRequest: mean((r) => r.peer.cpuMsPerRequest),
      proberPeakRssMb: Math.max(...rs.map((r) => r.prober.peakRssMb)), peerPeakRssMb: Math.max(...rs.map((r) => r.peer.peakRssMb)),
      proberRequestsPerSecond: mean((r) => r.prober.requestsPerSecond), peerRequestsPerSecond: mean((r) => r.peer.requestsPerSecond),
    };
  };
  const rows = [...new Set(runs.map((r) => r.targets))].flatMap((t) => [false, true].map((e) => ({ targets: t, ebpf: e, ...agg(t, e) })).filter((x) => x.runs));
  const nodeVersion = spawnSync(EXPORTER_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return { nodeVersion, rows, runs };
}
