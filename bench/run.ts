// `npm run bench`: the benchmark harness (issue 6), and `npm run bench -- soak` (issue 5).
// Starts its own Ceph RGW (.work/rgw-bench, 127.0.0.1:27480) unless --endpoint/S3PROBER_BENCH_ENDPOINT
// names one, runs each section in fresh child processes (the prober pinned to core 0, servers on the
// other cores), prints a table and writes bench/results/latest.json (or --out FILE).
//
//   node dist/bench/run.js [--quick] [--sections cost,truth,scale,scrape,scale-sharded,throughput] [--out FILE]
//     [--shards N]   (scale-sharded: N shard processes, each on its own core; default half the cores, at least 2)
//   node dist/bench/run.js soak [--cycles 10000] [--targets 20] [--out FILE]
//   node dist/bench/run.js peer [--quick] [--warmup 10] [--out FILE]   (issue 21: against the seed blog's prober)
//   --profile: V8 CPU profile of each measured worker in bench/results/profiles/
// See bench/README.md for what each figure means; each section's harness side is in bench/sections/,
// its measured side in bench/modes/.
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createHarness, RESULTS, type R } from './harness.js';
import { fmt, REPO_ROOT, round, startBenchRgw, type S3Endpoint } from './lib.js';
import { sectionCost } from './sections/cost.js';
import { sectionPeer } from './sections/peer.js';
import { sectionScale } from './sections/scale.js';
import { defaultShards, sectionScaleSharded } from './sections/scale-sharded.js';
import { sectionSoak } from './sections/soak.js';
import { sectionThroughput } from './sections/throughput.js';
import { sectionTruth } from './sections/truth.js';
import { print } from './tables.js';
import { verdicts } from './verdicts.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    sections: { type: 'string' },
    out: { type: 'string' },
    cycles: { type: 'string' },
    // soak: seconds of warm-up before the measured cycles (default: the latency summary's window, full);
    // peer: seconds each pair runs before its windows (default 10)
    warmup: { type: 'string' },
    targets: { type: 'string' },
    shards: { type: 'string' },
    endpoint: { type: 'string' },
    'no-ebpf': { type: 'boolean', default: false },
    // V8 CPU profiles of every measured worker, in bench/results/profiles (for finding a missed target's cause)
    profile: { type: 'boolean', default: false },
  },
});
const SOAK = positionals[0] === 'soak';
const PEER = positionals[0] === 'peer';
if (positionals.length && !SOAK && !PEER) throw new Error(`unknown command ${positionals[0]} (expected nothing, "soak" or "peer")`);
const ALL = ['cost', 'truth', 'scale', 'scrape', 'scale-sharded', 'throughput'];
const SECTIONS = new Set(args.sections ? args.sections.split(',') : ALL);
for (const s of SECTIONS) if (!ALL.includes(s)) throw new Error(`unknown section ${s} (${ALL.join(', ')})`);
const SHARDED = !SOAK && !PEER && SECTIONS.has('scale-sharded');
const SHARDS = args.shards === undefined ? defaultShards() : Number(args.shards);
if (!Number.isInteger(SHARDS) || SHARDS < 1) throw new Error(`--shards ${args.shards}: expected a whole number of shards, 1 or more`);
// the shards' cores are kept from the servers as far as the machine allows (bench/lib.ts cpuLayout)
const h = createHarness({ quick: args.quick, ebpf: !args['no-ebpf'], profile: args.profile, proberCores: SHARDED ? SHARDS : 1 });

async function main(): Promise<void> {
  const started = Date.now();
  const res: R = { kind: SOAK ? 'soak' : PEER ? 'peer' : 'bench', at: new Date().toISOString(), quick: h.quick, command: `node dist/bench/run.js ${process.argv.slice(2).join(' ')}`.trim(), machine: h.machine() };
  try {
    res.gitCommit = execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch { /* not a checkout */ }
  const ext = args.endpoint ?? process.env.S3PROBER_BENCH_ENDPOINT;
  let rgw: S3Endpoint;
  if (ext) {
    rgw = { endpoint: ext, accessKeyId: process.env.S3PROBER_BENCH_ACCESS_KEY ?? 'bench', secretAccessKey: process.env.S3PROBER_BENCH_SECRET_KEY ?? 'bench-secret' };
    h.log(`using the RGW at ${ext}`);
  } else {
    h.log('starting the bench RGW (.work/rgw-bench, 127.0.0.1:27480)');
    const own = startBenchRgw(h.layout.servers);
    const stop = () => { own.stop(); process.exit(130); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    rgw = own;
  }
  res.rgw = rgw.endpoint;
  if (SOAK) {
    res.soak = await sectionSoak(h, rgw, args);
  } else if (PEER) {
    res.peer = await sectionPeer(h, rgw, args);
  } else {
    if (SECTIONS.has('cost')) res.cost = await sectionCost(h, rgw);
    if (SECTIONS.has('truth')) res.truth = await sectionTruth(h, rgw);
    if (SECTIONS.has('scale') || SECTIONS.has('scrape')) Object.assign(res, await sectionScale(h, rgw, SECTIONS.has('scale'), SECTIONS.has('scrape')));
    if (SHARDED) res.scaleSharded = await sectionScaleSharded(h, rgw, SHARDS, !ext);
    if (SECTIONS.has('throughput')) res.throughput = await sectionThroughput(h);
  }
  res.machine.loadavgAtEnd = loadavg().map((x) => round(x, 2));
  res.seconds = (Date.now() - started) / 1000;
  res.verdicts = verdicts(res);
  print(res);
  const out = args.out ?? path.join(RESULTS, SOAK ? 'soak-latest.json' : PEER ? 'peer-latest.json' : 'latest.json');
  const body = `${JSON.stringify(res, null, 2)}\n`;
  writeFileSync(out, body);
  if (!args.out) writeFileSync(path.join(RESULTS, `${res.kind}-${res.at.replace(/[:.]/g, '-')}.json`), body);
  console.log(`\nwritten to ${out} (${fmt(res.seconds, 0)} s)`);
}

main().then(() => process.exit(0), (e: Error) => {
  console.error(`bench: FAILED: ${e.stack ?? e.message}`);
  process.exit(1);
});
