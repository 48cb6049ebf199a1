// `npm run bench -- peer`: s3prober against the script it replaces. A prober of the seed blog's
// design (bench/peers/seed_prober.py: boto3 + prometheus_client, one Python loop) and `s3prober run`
// run at the same time, on the same core, at the same pace (a cycle per target every second, 4 KiB
// objects) against the bench RGW, with the tracer off and on, at 1 and 10 targets (groupsOf). Each
// is read from /proc (CPU, RSS, anonymous RSS) and its own /metrics (requests sent) over several
// windows; the figures are ratios measured in the same window (to the peer; on to off), since only
// a same-time comparison survives the VM's speed swings.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnProc, type Proc } from '../../test/support/proc.js';
import { freePort } from '../../test/support/rgw.js';
import type { Harness, R } from '../harness.js';
import { benchConfigYaml, median, REPO_ROOT, round, type S3Endpoint } from '../lib.js';
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
  const name = ebpf ? 'on' : 'off';
  return startExporterRun({
    name, pin: h.layout.prober, node: EXPORTER_NODE, args: [...form.nodeArgs, CLI],
    env: { ...process.env, ...form.env }, file: path.join(dir, `s3prober-${name}.yaml`),
    yaml: benchConfigYaml({ ...rgw, targets, name: `peerbench-${name}`, schedule: '* * * * * *', ebpf }),
  });
}

/** Who runs in a group: the peer, s3prober with the tracer off, or on. */
type Member = 'peer' | 'off' | 'on';
interface Figures { cpuMsPerRequest: number; cpuMsPerWindow: number[]; requestsPerSecond: number; peakRssMb: number; peakAnonMb: number }
interface Group { targets: number; members: Member[]; figures: Partial<Record<Member, Figures>> }

const r3 = (x: number) => round(x, 3) ?? Number.NaN;

/** One group side by side on the prober's core: warm-up, then `windows` windows of `seconds`. */
async function runGroup(h: Harness, rgw: S3Endpoint, targets: number, members: Member[], o: { warm: number; windows: number; seconds: number }): Promise<Group> {
  const dir = mkdtempSync(path.join(tmpdir(), 's3prober-peer-'));
  const procs: Measured[] = [];
  try {
    for (const m of members) procs.push(m === 'peer' ? await startPeer(h.layout.prober, rgw, targets) : await startProber(h, rgw, targets, m === 'on', dir));
    await sleep(o.warm * 1000);
    const peak = procs.map(() => ({ rssMb: 0, anonMb: 0 }));
    const sample = () => procs.forEach((m, i) => {
      const mem = memoryOf(m.proc.pid);
      peak[i] = { rssMb: Math.max(peak[i]!.rssMb, mem.rssMb, mem.peakRssMb), anonMb: Math.max(peak[i]!.anonMb, mem.anonMb) };
    });
    const sampler = setInterval(sample, 500);
    const windows: { cpuSeconds: number; requests: number }[][] = [];
    try {
      const read = () => Promise.all(procs.map(async (m) => ({ cpu: cpuSecondsOf(m.proc.pid), req: await requestsOf(m) })));
      let before = await read();
      for (let w = 0; w < o.windows; w++) {
        await sleep(o.seconds * 1000);
        const after = await read();
        windows.push(procs.map((_, i) => ({ cpuSeconds: after[i]!.cpu - before[i]!.cpu, requests: after[i]!.req - before[i]!.req })));
        before = after;
      }
    } finally {
      clearInterval(sampler);
    }
    sample();
    const figures: Group['figures'] = {};
    members.forEach((m, i) => {
      const cpu = windows.reduce((a, w) => a + w[i]!.cpuSeconds, 0);
      const requests = windows.reduce((a, w) => a + w[i]!.requests, 0);
      figures[m] = {
        cpuMsPerRequest: r3((cpu * 1000) / requests), cpuMsPerWindow: windows.map((w) => r3((w[i]!.cpuSeconds * 1000) / w[i]!.requests)),
        requestsPerSecond: r3(requests / (o.windows * o.seconds)), peakRssMb: r3(peak[i]!.rssMb), peakAnonMb: r3(peak[i]!.anonMb),
      };
    });
    return { targets, members, figures };
  } finally {
    for (const m of procs.reverse()) await stop(m);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** a's CPU per request over b's, window by window, in every group where both ran: their median. */
function sameTimeRatio(groups: Group[], a: Member, b: Member): { median: number; min: number; max: number; windows: number } | undefined {
  const ratios = groups.flatMap((g) => {
    const [x, y] = [g.figures[a], g.figures[b]];
    return x && y ? x.cpuMsPerWindow.map((v, w) => v / y.cpuMsPerWindow[w]!) : [];
  });
  if (!ratios.length) return undefined;
  return { median: r3(median(ratios)), min: r3(Math.min(...ratios)), max: r3(Math.max(...ratios)), windows: ratios.length };
}

/**
 * The groups of a target count. One target: the peer, tracer off and tracer on, all three at the
 * same time (twice, the two s3probers started in either order), so the tracer's cost is a
 * same-time ratio too. Ten targets: three would overload the one core (the pace then falls
 * behind), so pairs: each s3prober with the peer, and off with on.
 */
function groupsOf(targets: number, ebpf: boolean, quick: boolean): Member[][] {
  if (!ebpf) return [['peer', 'off']];
  if (targets === 1) return quick ? [['peer', 'off', 'on']] : [['peer', 'off', 'on'], ['peer', 'on', 'off']];
  return [['peer', 'off'], ['peer', 'on'], ['off', 'on']];
}

export async function sectionPeer(h: Harness, rgw: S3Endpoint, args: { warmup?: string } = {}): Promise<R> {
  const have = spawnSync(PYTHON, ['-c', 'import boto3, prometheus_client'], { stdio: 'ignore' }).status === 0;
  if (!have) throw new Error('the peer needs python3-boto3 and python3-prometheus-client (sudo bash scripts/setup.sh installs them)');
  const o = h.quick ? { warm: 2, windows: 2, seconds: 2 } : { warm: 10, windows: 4, seconds: 15 };
  // Node 20's CPU per request keeps falling for a minute or two at one cycle a second (V8 tiers
  // the SDK's code up slowly at ~26 requests a second; Node 24 sooner): --warmup 120 measures it warm
  if (args.warmup !== undefined) o.warm = Number(args.warmup);
  const groups: Group[] = [];
  for (const targets of h.quick ? [1] : [1, 10]) {
    for (const members of groupsOf(targets, h.ebpf, h.quick)) {
      h.log(`peer: ${targets} target(s), ${members.join(' + ')}, ${o.windows} x ${o.seconds} s after ${o.warm} s`);
      groups.push(await runGroup(h, rgw, targets, members, o));
    }
  }
  const rows = [...new Set(groups.map((g) => g.targets))].flatMap((targets) => {
    const gs = groups.filter((g) => g.targets === targets);
    return (['off', 'on'] as const).flatMap((m) => {
      const mine = gs.filter((g) => g.figures[m]);
      if (!mine.length) return [];
      const withPeer = mine.filter((g) => g.figures.peer);
      const mean = (xs: number[]) => r3(xs.reduce((a, x) => a + x, 0) / xs.length);
      const peakOf = (who: Member, of: Group[], k: 'peakRssMb' | 'peakAnonMb') => Math.max(...of.map((g) => g.figures[who]![k]));
      const [proberPeak, peerPeak] = [peakOf(m, mine, 'peakRssMb'), peakOf('peer', withPeer, 'peakRssMb')];
      const cpu = sameTimeRatio(withPeer, m, 'peer');
      return [{
        targets, ebpf: m === 'on', runs: mine.length,
        cpuRatio: cpu?.median, cpuRatioMin: cpu?.min, cpuRatioMax: cpu?.max,
        proberCpuMsPerRequest: mean(withPeer.map((g) => g.figures[m]!.cpuMsPerRequest)), peerCpuMsPerRequest: mean(withPeer.map((g) => g.figures.peer!.cpuMsPerRequest)),
        proberPeakRssMb: proberPeak, peerPeakRssMb: peerPeak, peakRssRatio: r3(proberPeak / peerPeak),
        anonRssRatio: r3(peakOf(m, mine, 'peakAnonMb') / peakOf('peer', withPeer, 'peakAnonMb')),
        proberRequestsPerSecond: mean(withPeer.map((g) => g.figures[m]!.requestsPerSecond)), peerRequestsPerSecond: mean(withPeer.map((g) => g.figures.peer!.requestsPerSecond)),
      }];
    });
  });
  // the tracer's cost: on over off in the same windows
  const tracer = [...new Set(groups.map((g) => g.targets))].flatMap((targets) => {
    const cost = sameTimeRatio(groups.filter((g) => g.targets === targets), 'on', 'off');
    return cost ? [{ targets, cpuRatio: cost.median, cpuRatioMin: cost.min, cpuRatioMax: cost.max, windows: cost.windows }] : [];
  });
  const nodeVersion = spawnSync(EXPORTER_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return { nodeVersion, rows, tracer, groups };
}
