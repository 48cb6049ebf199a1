#!/usr/bin/env node
// Peak RSS and CPU per 1,000 operations of the bench's cost worker (dist/bench/worker.js cost: 10
// targets, a cycle each per second, the whole ProberRuntime) under several node configurations,
// interleaved (config A off/on, B off/on, ..., then again) so that the neighbours' load hits all of
// them alike. What BENCHMARKS.md's "RSS with 10 targets" table was measured with.
//
//   npx tsc -p . && node scripts/bench-memory.mjs [configs.json] [reps=2] [seconds=12]
//   env: S3PROBER_BENCH_ENDPOINT (+ _ACCESS_KEY, _SECRET_KEY), an RGW of your own (scripts/rgw-start.sh);
//        TRACER=off,on (default both); NODE=path to another node binary for the workers
// configs.json: [{"name": "...", "nodeArgs": ["--flag"], "env": {"VAR": "value"}, "script": "worker.js"}]
// (default: node's defaults against the CLI's first-line flags).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { startChild, cpuLayout, cliFirstLine } = await import(pathToFileURL(path.join(ROOT, 'dist/bench/lib.js')).href);

const configs = process.argv[2] ? JSON.parse(readFileSync(process.argv[2], 'utf8')) : [
  { name: 'defaults' },
  { name: 'first line', ...cliFirstLine() },
  { name: 'small heap', nodeArgs: ['--max-semi-space-size=2', '--heap-growing-percent=20'], env: { MALLOC_ARENA_MAX: '2' } },
  { name: 'optimize-for-size', nodeArgs: ['--optimize-for-size'], env: { MALLOC_ARENA_MAX: '2' } },
];
const reps = Number(process.argv[3] ?? 2);
const seconds = Number(process.argv[4] ?? 12);
const tracer = (process.env.TRACER ?? 'off,on').split(',').map((x) => x === 'on');
const endpoint = process.env.S3PROBER_BENCH_ENDPOINT;
if (!endpoint) throw new Error('S3PROBER_BENCH_ENDPOINT: the RGW to probe (e.g. scripts/rgw-start.sh with RGW_PORT=28480)');
const rgw = { endpoint, accessKeyId: process.env.S3PROBER_BENCH_ACCESS_KEY ?? 'bench', secretAccessKey: process.env.S3PROBER_BENCH_SECRET_KEY ?? 'bench-secret' };
const layout = cpuLayout();
if (process.env.NODE) process.execPath = process.env.NODE; // startChild spawns process.execPath

const res = [];
for (let r = 0; r < reps; r++) for (const c of configs) for (const ebpf of tracer) {
  const w = startChild(c.script ?? 'worker.js', ['cost', JSON.stringify({ rgw, targets: 10, warmSeconds: 3, seconds, ebpf })],
    { pin: layout.prober, nodeArgs: c.nodeArgs ?? [], env: { ...process.env, ...(c.env ?? {}) } });
  try {
    const m = await w.next('result');
    res.push({ name: c.name, ebpf, ...m });
    process.stderr.write(`${c.name} tracer ${ebpf ? 'on ' : 'off'}: peak RSS ${m.peakRssMb.toFixed(1)} MB, CPU ${m.cpuSecondsPer1000Ops.toFixed(3)} s/1000 ops, ${m.ops} ops, `
      + `heap total ${m.memory.heapTotalMb.toFixed(1)} used ${m.memory.heapUsedMb.toFixed(1)} MB, tracer up ${m.tracerUp}\n`);
  } finally {
    await w.stop(10_000);
  }
}
console.log('\nconfig                 tracer  runs  peak RSS max  mean   CPU s/1000 ops  ops');
for (const c of configs) for (const ebpf of tracer) {
  const rs = res.filter((x) => x.name === c.name && x.ebpf === ebpf);
  const cpu = rs.reduce((a, x) => a + x.cpuSeconds, 0);
  const ops = rs.reduce((a, x) => a + x.ops, 0);
  console.log(`${c.name.padEnd(22)} ${ebpf ? 'on ' : 'off'}     ${rs.length}     ${Math.max(...rs.map((x) => x.peakRssMb)).toFixed(1).padStart(6)}  ${(rs.reduce((a, x) => a + x.peakRssMb, 0) / rs.length).toFixed(1).padStart(6)}  ${((cpu / ops) * 1000).toFixed(3).padStart(10)}  ${ops}`);
}
