// Wire tracer overhead of the prober's own S3 requests (AWS SDK v3, GetObject/PutObject of 4 KiB
// against a minimal server in another process), tracer off and on in alternating blocks:
//   CPU per operation (user+system of this process) and the on/off ratio (target <= 1.05),
//   dropped kernel events at a paced 1,000 operations per second (target 0),
//   warm-request client overhead p50 of GetObject and PutObject of 4 KiB.
// Usage: npx tsc -p . && node dist/bench/ebpf-overhead.js [seconds per phase, default 5] [ops/s, default 1000]
// Root and a built addon needed. Writes bench/results/ebpf-overhead-<time>.json.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startWireHalf } from '../src/cli/wire.js';
import type { WireTracer } from '../src/ebpf/index.js';
import { WIRE_METRICS } from '../src/metrics/names.js';
import { withRequestScope } from '../src/s3/instrument.js';

const SECONDS = Number(process.argv[2] ?? 5);
const RATE = Number(process.argv[3] ?? 1000);
const BODY = Buffer.alloc(4096, 0x61);

// the server runs in another process so its CPU is not counted
const SERVER = `require('http').createServer((q, s) => { q.resume(); q.on('end', () => { s.setHeader('etag', '"e"'); s.end(q.method === 'GET' ? Buffer.alloc(4096, 97) : ''); }); })
  .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

function startServer(): Promise<{ port: number; kill(): void }> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res, rej) => {
    child.stdout.once('data', (d: Buffer) => res({ port: Number(d.toString().trim()), kill: () => child.kill() }));
    child.once('exit', (c) => rej(new Error(`server exited ${c}`)));
  });
}

/** The AWS SDK client set up like the prober's (keep-alive, no retries, no 100-continue). */
function client(port: number): { s3: S3Client; destroy(): void } {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    expectContinueHeader: false, requestHandler: new NodeHttpHandler({ httpAgent }),
  });
  return { s3, destroy: () => { s3.destroy(); httpAgent.destroy(); } };
}

async function once(s3: S3Client, operation: string): Promise<void> {
  if (operation === 'PutObject') {
    await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: 'obj', Body: BODY }));
  } else {
    const out = await s3.send(new GetObjectCommand({ Bucket: 'bench', Key: 'obj' }));
    await out.Body?.transformToByteArray();
  }
}

interface Phase {
  ops: number;
  cpuMicros: number;
  wallSeconds: number;
}

const p50 = (xs: number[]): number | undefined => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : undefined);
const overhead: Record<string, number[]> = { GetObject: [], PutObject: [] };

/** One paced block of requests on a warm keep-alive connection; CPU of this process only. */
async function block(port: number, ops: number, tracer: WireTracer | undefined): Promise<Phase> {
  const c = client(port);
  await once(c.s3, 'GetObject'); // warm: the connection exists before measuring
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) {
    const operation = i % 2 ? 'PutObject' : 'GetObject';
    await withRequestScope({
      target: 'bench', operation, traces: [],
      onTrace: (t) => {
        if (!tracer) return;
        tracer.observe(t);
        const w = tracer.lastWire();
        if (w?.trace === t && w.wire.overheadSeconds !== undefined) overhead[operation]!.push(w.wire.overheadSeconds * 1000);
      },
    }, () => once(c.s3, operation));
    const due = t0 + BigInt(Math.round(((i + 1) * 1e9) / RATE));
    const wait = Number(due - process.hrtime.bigint()) / 1e6;
    if (wait > 1) await new Promise((r) => setTimeout(r, Math.floor(wait)));
  }
  const cpu = process.cpuUsage(cpu0);
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  c.destroy();
  return { ops, cpuMicros: cpu.user + cpu.system, wallSeconds };
}

// Off and on alternate in blocks so that drift (JIT warm-up, GC, a noisy neighbour) hits both.
const BLOCKS = 6;
const server = await startServer();
try {
  const perBlock = Math.round((SECONDS * RATE) / BLOCKS);
  const off: Phase = { ops: 0, cpuMicros: 0, wallSeconds: 0 };
  const on: Phase = { ops: 0, cpuMicros: 0, wallSeconds: 0 };
  let events = 0;
  let dropped = 0;
  await block(server.port, perBlock, undefined); // warm-up, not counted
  for (let b = 0; b < BLOCKS; b++) {
    const a = await block(server.port, perBlock, undefined);
    off.ops += a.ops;
    off.cpuMicros += a.cpuMicros;
    off.wallSeconds += a.wallSeconds;
    const registry = new Registry();
    const { tracer } = await startWireHalf({ registry, logger: pino({ level: 'warn' }), enabled: true });
    if (!tracer.up) throw new Error('the tracer is not up (root and scripts/build-ebpf.sh needed)');
    const c = await block(server.port, perBlock, tracer);
    on.ops += c.ops;
    on.cpuMicros += c.cpuMicros;
    on.wallSeconds += c.wallSeconds;
    const value = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
    events += await value(WIRE_METRICS.ebpfEvents);
    dropped += await value(WIRE_METRICS.ebpfDropped);
    await tracer.close();
  }
  const cpuOff = off.cpuMicros / off.ops;
  const cpuOn = on.cpuMicros / on.ops;
  const result = {
    at: new Date().toISOString(),
    node: process.version,
    secondsPerMode: SECONDS,
    targetOpsPerSecond: RATE,
    achievedOpsPerSecond: { off: off.ops / off.wallSeconds, on: on.ops / on.wallSeconds },
    cpuMicrosPerOp: { off: cpuOff, on: cpuOn },
    cpuRatioOnOff: cpuOn / cpuOff,
    kernelEvents: events,
    kernelEventsDropped: dropped,
    warmClientOverheadP50Ms: { GetObject: p50(overhead.GetObject!), PutObject: p50(overhead.PutObject!) },
  };
  const dir = resolve(fileURLToPath(import.meta.url), '..', '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `ebpf-overhead-${result.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`cpu/op off ${cpuOff.toFixed(1)} us, on ${cpuOn.toFixed(1)} us, ratio ${result.cpuRatioOnOff.toFixed(3)}`);
  console.log(`events ${events}, dropped ${dropped} at ${result.achievedOpsPerSecond.on.toFixed(0)} ops/s (target ${RATE})`);
  const g = result.warmClientOverheadP50Ms;
  console.log(`warm client overhead p50 (4 KiB): GetObject ${g.GetObject?.toFixed(3)} ms, PutObject ${g.PutObject?.toFixed(3)} ms`);
  console.log(`written to ${file}`);
} finally {
  server.kill();
}
