// Same-time A/B of `s3prober run` variants (issue 21's levers): two or more exporters (other
// builds, node binaries, flags, environments, tracer off/on), and optionally the peer, started
// together on the prober's core against one RGW, a cycle per target every second; CPU per request
// (/proc) and peak/anonymous RSS of each, CPU as a ratio to the first variant window by window.
// On a loaded machine only such ratios mean anything; absolute figures do not.
//
//   node dist/bench/ab.js --endpoint URL [--access-key AK --secret-key SK] [--targets 1]
//     [--warm 15] [--windows 6] [--seconds 15] [--peer] [--out FILE]
//     --variant '{"label":"base","dist":".work/ab/base/dist","ebpf":true}'
//     --variant '{"label":"new","ebpf":true,"node":"/path/to/node","flags":["--x"],"env":{"K":"V"}}'
// A variant: dist (a build's dist folder, default ./dist), node (binary, default this one), the
// CLI's first line unless firstLine is false, then flags, env, ebpf (default true).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { RESULTS } from './harness.js';
import { benchConfigYaml, cliFirstLine, cpuLayout, median, REPO_ROOT, round, type S3Endpoint } from './lib.js';
import { cpuTimesOf, memoryOf } from './proc-usage.js';
import { type Measured, requestsOf, startExporterRun, startPeer, stop } from './sections/peer.js';

interface Variant { label: string; dist?: string; node?: string; firstLine?: boolean; flags?: string[]; env?: Record<string, string>; ebpf?: boolean }

const { values: args } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    'access-key': { type: 'string', default: 'bench' },
    'secret-key': { type: 'string', default: 'bench-secret' },
    targets: { type: 'string', default: '1' },
    warm: { type: 'string', default: '15' },
    windows: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '15' },
    peer: { type: 'boolean', default: false },
    variant: { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
  },
});

async function startVariant(v: Variant, i: number, rgw: S3Endpoint, targets: number, dir: string, pin: string[]): Promise<Measured> {
  const cli = path.join(path.resolve(REPO_ROOT, v.dist ?? 'dist'), 'src/cli/main.js');
  const form = v.firstLine === false ? { nodeArgs: [], env: {} } : cliFirstLine(cli);
  const m = await startExporterRun({
    name: v.label, pin, node: v.node ?? process.execPath, args: [...form.nodeArgs, ...(v.flags ?? []), cli],
    // the addon of this checkout, wherever the build's dist lies
    env: { ...process.env, S3PROBER_EBPF_ADDON: path.join(REPO_ROOT, 'native/build/Release/s3prober.node'), ...form.env, ...v.env },
    yaml: benchConfigYaml({ ...rgw, targets, name: `ab${i}`, schedule: '* * * * * *', ebpf: v.ebpf ?? true }), file: path.join(dir, `ab${i}.yaml`),
  });
  m.proc.child.stderr?.on('data', (b: Buffer) => process.stderr.write(`[${v.label}] ${b}`));
  return m;
}


async function main(): Promise<void> {
  if (!args.endpoint) throw new Error('--endpoint URL: an RGW (scripts/rgw-start.sh) to probe');
  const variants = args.variant.map((s) => JSON.parse(s) as Variant);
  if (variants.length < 2 && !(variants.length === 1 && args.peer)) throw new Error('two --variant at least (or one and --peer)');
  const rgw: S3Endpoint = { endpoint: args.endpoint, accessKeyId: args['access-key'], secretAccessKey: args['secret-key'] };
  const targets = Number(args.targets);
  const pin = cpuLayout().prober;
  const dir = mkdtempSync(path.join(tmpdir(), 's3prober-ab-'));
  const procs: Measured[] = [];
  try {
    if (args.peer) procs.push(await startPeer(pin, rgw, targets));
    for (const [i, v] of variants.entries()) procs.push(await startVariant(v, i, rgw, targets, dir, pin));
    await sleep(Number(args.warm) * 1000);
    const peak = procs.map(() => ({ rss: 0, anon: 0 }));
    const sample = () => procs.forEach((m, i) => {
      const mem = memoryOf(m.proc.pid);
      peak[i] = { rss: Math.max(peak[i]!.rss, mem.peakRssMb), anon: Math.max(peak[i]!.anon, mem.anonMb) };
    });
    const sampler = setInterval(sample, 500);
    const perWindow: number[][] = procs.map(() => []); // CPU ms per request
    const reqs = procs.map(() => 0);
    const sys = procs.map(() => 0);
    const read = () => Promise.all(procs.map(async (m) => {
      const t = cpuTimesOf(m.proc.pid);
      return { cpu: t.user + t.system, sys: t.system, req: await requestsOf(m) };
    }));
    let before = await read();
    for (let w = 0; w < Number(args.windows); w++) {
      await sleep(Number(args.seconds) * 1000);
      const after = await read();
      procs.forEach((_, i) => {
        const dr = after[i]!.req - before[i]!.req;
        perWindow[i]!.push(((after[i]!.cpu - before[i]!.cpu) * 1000) / dr);
        reqs[i]! += dr;
        sys[i]! += after[i]!.sys - before[i]!.sys;
      });
      const base = perWindow[0]!.at(-1)!;
      process.stderr.write(`ab: window ${w + 1}: ${procs.map((m, i) => `${m.name} ${perWindow[i]!.at(-1)!.toFixed(3)} ms/req (${(perWindow[i]!.at(-1)! / base).toFixed(3)})`).join(', ')}\n`);
      before = after;
    }
    clearInterval(sampler);
    sample();
    // a tracer asked for but down (the kernel refused its programs) would make an "on" variant an "off" one
    const up = await Promise.all(procs.map((m) => fetch(`http://127.0.0.1:${m.port}/metrics`).then((r) => r.text()).then((t) => /^s3prober_ebpf_up (\S+)/m.exec(t)?.[1] ?? '-', () => '-')));
    const rows = procs.map((m, i) => {
      const ratios = perWindow[i]!.map((x, w) => x / perWindow[0]![w]!);
      return {
        name: m.name, requests: reqs[i], cpuMsPerRequestMedian: round(median(perWindow[i]!)), sysMsPerRequest: round((sys[i]! * 1000) / reqs[i]!),
        ratioMedian: round(median(ratios)), ratioMin: round(Math.min(...ratios)), ratioMax: round(Math.max(...ratios)),
        peakRssMb: round(peak[i]!.rss, 1), peakAnonMb: round(peak[i]!.anon, 1), ebpfUp: up[i],
      };
    });
    console.table(rows);
    const out = args.out ?? path.join(RESULTS, `ab-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), targets, variants, windows: perWindow, rows }, null, 2)}\n`);
  } finally {
    for (const m of procs.reverse()) await stop(m);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
