// One measured prober process per run (started by bench/run.ts, pinned to its own core when possible):
//   worker.js cost|scale|truth|throughput|soak '<json options>'
// Results go back over IPC ({type:'result', ...}); {type:'error', message} on failure.
// The exporter runs whole and in-process (ProberRuntime), as in production. The only bench hooks are
// wrappers around MetricsRecorder's observer methods, so every cycle start delay, operation and
// cycle is counted raw (a histogram's buckets would be too coarse for a p99).
import dc from 'node:diagnostics_channel';
import { createWriteStream, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, ListBucketsCommand,
  ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { Registry } from 'prom-client';
import { ProberRuntime } from '../src/cli/runtime.js';
import { parseConfig } from '../src/config/load.js';
import { startWireTracer, WIRE_FAMILY_NAMES, type WireTracer } from '../src/ebpf/index.js';
import { createLogger } from '../src/log/logger.js';
import { MetricsRecorder } from '../src/metrics/recorder.js';
import type { CycleResult, OperationResult, SkipReason } from '../src/probes/result.js';
import { operationTiming } from '../src/probes/timing.js';
import { createTargetClient, type TargetClient } from '../src/s3/client.js';
import { withRequestScope } from '../src/s3/instrument.js';
import type { RequestTrace } from '../src/s3/request-trace.js';
import { benchConfigYaml, dist, REPO_ROOT, type S3Endpoint } from './lib.js';
import { watchPeakRss } from './rss-breakdown.js';

const send = (m: Record<string, unknown>) => new Promise<void>((r) => (process.send ? process.send(m, () => r()) : r()));
const mode = process.argv[2] ?? '';
const opts = JSON.parse(process.argv[3] ?? '{}') as Record<string, unknown>;
const LOG_DIR = path.join(REPO_ROOT, 'bench/results');

// ---- counters fed by the recorder hooks -------------------------------------------------------
const seen = {
  ops: 0, failures: 0, cycles: 0, skipped: 0,
  drift: [] as number[], cycleSeconds: [] as number[],
  reasons: {} as Record<string, number>, leftovers: new Map<string, number>(),
};
function resetSeen(): void {
  seen.ops = 0; seen.failures = 0; seen.cycles = 0; seen.skipped = 0;
  seen.drift = []; seen.cycleSeconds = []; seen.reasons = {};
}
const proto = MetricsRecorder.prototype;
const { onOperation, onCycle, onCycleSkipped, onCycleStart } = proto;
proto.onOperation = function (this: MetricsRecorder, r: OperationResult) {
  if (r.outcome !== 'skipped') seen.ops++;
  if (r.outcome === 'failure') {
    seen.failures++;
    seen.reasons[r.reason ?? 'other'] = (seen.reasons[r.reason ?? 'other'] ?? 0) + 1;
  }
  onOperation.call(this, r);
};
proto.onCycle = function (this: MetricsRecorder, c: CycleResult) {
  seen.cycles++;
  seen.cycleSeconds.push(c.durationSeconds);
  seen.leftovers.set(c.target, c.leftovers);
  onCycle.call(this, c);
};
proto.onCycleSkipped = function (this: MetricsRecorder, t: string, why: SkipReason) {
  seen.skipped++;
  onCycleSkipped.call(this, t, why);
};
proto.onCycleStart = function (this: MetricsRecorder, t: string, d: number) {
  seen.drift.push(d);
  onCycleStart.call(this, t, d);
};

// ---- helpers -----------------------------------------------------------------------------------
const ms = (s: number | undefined) => (s === undefined ? undefined : s * 1000);
const msAll = (xs: number[]) => xs.map((x) => x * 1000);
const cpuSeconds = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;
const mb = (bytes: number) => bytes / 1048576;
const fdCount = () => readdirSync('/proc/self/fd').length;
/** Where the RSS goes: V8 heap, off-heap (Buffers), the rest is code, stacks, allocator slack. */
const memory = () => {
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapTotalMb: mb(m.heapTotal), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) };
};
const peakRssMb = () => process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB

function logger(name: string) {
  return createLogger('warn', createWriteStream(path.join(LOG_DIR, `${name}.log`), { flags: 'a' }));
}

const ELD_RESOLUTION_MS = 10;
function eld(): IntervalHistogram {
  const h = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  h.enable();
  return h;
}
// The histogram records the whole interval between its samples (an idle loop reads ~10 ms):
// the delay is what exceeds the sampling resolution.
const eldMs = (h: IntervalHistogram) => {
  const d = (ns: number) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
  return { p50: d(h.percentile(50)), p99: d(h.percentile(99)), max: d(h.max) };
};

async function exporter(endpoint: S3Endpoint, o: { targets: number; name: string; schedule: string; ebpf: boolean; timeout?: string; spread?: number }) {
  const config = parseConfig(benchConfigYaml({ ...endpoint, ...o }));
  const rt = await ProberRuntime.start({ config, logger: logger(o.name) });
  const up = (await rt.processMetrics.registry.getSingleMetric(WIRE_FAMILY_NAMES.ebpfUp)?.get())?.values[0]?.value === 1;
  return { rt, tracerUp: up };
}

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

// ---- 1. cost per operation ---------------------------------------------------------------------
async function cost(): Promise<Record<string, unknown>> {
  const o = opts as { rgw: S3Endpoint; targets: number; warmSeconds: number; seconds: number; ebpf: boolean };
  const { rt, tracerUp } = await exporter(o.rgw, { targets: o.targets, name: `cost${o.ebpf ? 'on' : 'off'}`, schedule: '* * * * * *', ebpf: o.ebpf });
  await until(() => seen.cycles >= o.targets, o.warmSeconds * 1000 + 30_000); // sweep + first round done
  await sleep(o.warmSeconds * 1000);
  resetSeen();
  const h = eld();
  const rss = watchPeakRss();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await sleep(o.seconds * 1000);
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  const peakRssBreakdown = rss.stop();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const r = {
    tracerRequested: o.ebpf, tracerUp, targets: o.targets, seconds: wall, ops: seen.ops, failures: seen.failures,
    cpuSeconds: cpu, cpuSecondsPer1000Ops: (cpu / seen.ops) * 1000, opsPerSecond: seen.ops / wall,
    rssMb: mb(process.memoryUsage().rss), peakRssMb: peakRssMb(), peakRssBreakdown, eventLoopDelayMs: eldMs(h), memory: memory(),
  };
  await rt.stop();
  return r;
}

/** GC pauses (ms) while observed: how much of the event loop's delay is the collector's. */
function gcPauses() {
  const minor: number[] = [];
  const major: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR ? major : minor).push(e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    stop() {
      obs.disconnect();
      return { major: { n: major.length, totalMs: sum(major), maxMs: Math.max(0, ...major) }, minor: { n: minor.length, totalMs: sum(minor), maxMs: Math.max(0, ...minor) } };
    },
  };
}

/**
 * Each /metrics response's time inside the exporter: from its request's headers parsed (Node's
 * http.server.request.start) to its last byte handed to the socket (response.finish). What the
 * scraper measures on top is the wait for the event loop to reach the request and the client's
 * own reading, which on this 2-core box shares a core with RGW.
 */
function serverSideScrapes() {
  const started = new WeakMap<object, bigint>();
  const ms: { gzip: number[]; identity: number[] } = { gzip: [], identity: [] };
  const onStart = (m: unknown) => {
    const { request } = m as { request: http.IncomingMessage };
    if (request.url?.startsWith('/metrics')) started.set(request, process.hrtime.bigint());
  };
  const onFinish = (m: unknown) => {
    const { request, response } = m as { request: http.IncomingMessage; response: http.ServerResponse };
    const t = started.get(request);
    if (t === undefined) return;
    const gz = String(response.getHeader('content-encoding') ?? '') === 'gzip';
    ms[gz ? 'gzip' : 'identity'].push(Math.round(Number(process.hrtime.bigint() - t) / 1e5) / 10);
  };
  dc.subscribe('http.server.request.start', onStart);
  dc.subscribe('http.server.response.finish', onFinish);
  return {
    ms,
    stop() {
      dc.unsubscribe('http.server.request.start', onStart);
      dc.unsubscribe('http.server.response.finish', onFinish);
    },
  };
}

// ---- 3 + 4. scale (and the scrape, served from the largest run) --------------------------------
async function scale(): Promise<Record<string, unknown>> {
  const o = opts as { rgw: S3Endpoint; targets: number; intervalSeconds: number; slots: number; ebpf: boolean; scrape: boolean };
  const schedule = o.intervalSeconds === 1 ? '* * * * * *' : o.intervalSeconds === 60 ? '0 * * * * *' : `*/${o.intervalSeconds} * * * * *`;
  const { rt, tracerUp } = await exporter(o.rgw, { targets: o.targets, name: `scale${o.targets}`, schedule, ebpf: o.ebpf });
  // The start-up round (sweep + first cycle of every target within 2 s) is not steady state.
  const firstRoundDone = await until(() => seen.cycles >= o.targets, o.intervalSeconds * 1000 * 3);
  const startup = { drift: dist(msAll(seen.drift)), cycles: seen.cycles };
  resetSeen();
  const h = eld();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await sleep(o.slots * o.intervalSeconds * 1000);
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const result = {
    targets: o.targets, tracerUp, intervalSeconds: o.intervalSeconds, seconds: wall, firstRoundDone, startup,
    cycles: seen.cycles, cyclesSkipped: seen.skipped, ops: seen.ops, failures: seen.failures, reasons: seen.reasons,
    cpuSeconds: cpu, cpuCoreFraction: cpu / wall, cpuMsPerCycle: (cpu / Math.max(1, seen.cycles)) * 1000,
    cpuSecondsPer1000Ops: seen.ops ? (cpu / seen.ops) * 1000 : undefined,
    rssMb: mb(process.memoryUsage().rss), peakRssMb: peakRssMb(), eventLoopDelayMs: eldMs(h),
    driftMs: dist(msAll(seen.drift)), cycleSeconds: dist(seen.cycleSeconds), memory: memory(),
  };
  if (!o.scrape) {
    await rt.stop();
    return result;
  }
  // the parent scrapes from its own process while the cycles go on, then says done
  const done = new Promise<void>((r) => process.on('message', (m: { type?: string }) => m.type === 'done' && r()));
  await send({ type: 'result', ...result });
  // the prober's CPU while scraped, cycles going on: a scrape's own cost and what prerendering and
  // compressing ahead of scrapes (src/metrics/exposition.ts) cost between them
  const served = serverSideScrapes();
  const gcs = gcPauses();
  const h2 = eld();
  const scrapeCpu0 = process.cpuUsage();
  const scrapeT0 = process.hrtime.bigint();
  const seenBefore = seen.cycles;
  await send({ type: 'scrape-ready', url: `http://127.0.0.1:${rt.address.port}/metrics` });
  await done;
  const scrapeWall = Number(process.hrtime.bigint() - scrapeT0) / 1e9;
  const scrapeCpu = cpuSeconds(process.cpuUsage(scrapeCpu0));
  served.stop();
  h2.disable();
  const gc = gcs.stop();
  await send({
    type: 'scrape-cpu', seconds: scrapeWall, cycles: seen.cycles - seenBefore, cpuCoreFraction: scrapeCpu / scrapeWall,
    cpuMsPerCycle: (scrapeCpu / Math.max(1, seen.cycles - seenBefore)) * 1000, eventLoopDelayMs: eldMs(h2), serverMs: served.ms, gc,
  });
  await rt.stop();
  return { scraped: true };
}

// ---- 2. truth of the numbers --------------------------------------------------------------------
interface Sample {
  op: string; clientS: number; prepareS?: number; traceS: number; wireS?: number; serverS?: number; overheadS?: number;
  /** The join key to the proxy's record: the client's local port and the request's monotonic window. */
  localPort?: number; startNs: bigint; endNs: bigint;
  proxy?: ProxyRecord;
}
/** A fault-proxy exchange (test/support/fault-proxy.ts ProxyExchange) as it came over IPC. */
interface ProxyRecord {
  clientPort: number; connection: number; seq: number; method: string;
  headNs: bigint; requestInNs?: bigint; upstreamNs?: bigint; holdNs: bigint; firstByteOutNs?: bigint;
}

/** The exchanges the proxy of delay D recorded (its ground truth), relayed by the parent from the
 *  proxy process, which clears them. */
async function proxyExchanges(delayMs: number): Promise<{ records: ProxyRecord[]; dropped: number }> {
  if (!process.send) return { records: [], dropped: 0 };
  type Wire = { clientPort: number; connection: number; seq: number; method: string; headNs: string; requestInNs?: string; upstreamNs?: string; holdNs: string; firstByteOutNs?: string };
  const reply = await new Promise<{ exchanges: Wire[]; dropped: number }>((resolve) => {
    const on = (m: { type?: string; delayMs?: number; exchanges?: Wire[]; dropped?: number }) => {
      if (m.type !== 'proxy-exchanges' || m.delayMs !== delayMs) return;
      process.off('message', on);
      resolve({ exchanges: m.exchanges ?? [], dropped: m.dropped ?? 0 });
    };
    process.on('message', on);
    void send({ type: 'proxy-exchanges', delayMs });
  });
  const big = (x: string | undefined) => (x === undefined ? undefined : BigInt(x));
  return {
    dropped: reply.dropped,
    records: reply.exchanges.map((x) => ({
      clientPort: x.clientPort, connection: x.connection, seq: x.seq, method: x.method, headNs: BigInt(x.headNs), holdNs: BigInt(x.holdNs),
      requestInNs: big(x.requestInNs), upstreamNs: big(x.upstreamNs), firstByteOutNs: big(x.firstByteOutNs),
    })),
  };
}

/** Joins each sample to the proxy's record of it: same port (client local = proxy's remote) and the
 *  proxy had the whole request inside the client's request window (one clock; the requests run one
 *  at a time, so at most one fits). Returns how many samples found none or more than one, and how
 *  many joined out of order on their connection (keep-alive: each must be a later request on it). */
function joinProxy(samples: Sample[], records: ProxyRecord[]): { unjoined: number; ambiguous: number; outOfOrder: number } {
  const byPort = new Map<number, ProxyRecord[]>();
  for (const r of records) byPort.set(r.clientPort, [...(byPort.get(r.clientPort) ?? []), r]);
  let unjoined = 0;
  let ambiguous = 0;
  for (const s of samples) {
    const method = s.op === 'PutObject' ? 'PUT' : 'GET';
    const fit = (byPort.get(s.localPort ?? -1) ?? []).filter((r) =>
      r.method === method && r.requestInNs !== undefined && r.requestInNs >= s.startNs && r.requestInNs <= s.endNs);
    if (fit.length === 1) s.proxy = fit[0];
    else if (fit.length === 0) unjoined++;
    else ambiguous++;
  }
  let outOfOrder = 0;
  const lastSeq = new Map<number, number>();
  for (const s of samples) {
    if (!s.proxy) continue;
    if (s.proxy.seq <= (lastSeq.get(s.proxy.connection) ?? 0)) outOfOrder++;
    lastSeq.set(s.proxy.connection, s.proxy.seq);
  }
  return { unjoined, ambiguous, outOfOrder };
}

async function truth(): Promise<Record<string, unknown>> {
  const o = opts as { rgw: S3Endpoint; proxies: { delayMs: number; url: string }[]; samples: number };
  const log = logger('truth');
  const registry = new Registry();
  const tracer: WireTracer = await startWireTracer({ registry, logger: log, enabled: true });
  const bucket = `bench-truth-${Date.now().toString(36)}`;
  const key = 'obj-4KiB';
  const body = Buffer.alloc(4096, 0x62);
  const clientFor = (endpoint: string): TargetClient => {
    const cfg = parseConfig(benchConfigYaml({ ...o.rgw, endpoint, targets: 1, name: 'truth', schedule: '*/10 * * * * *', ebpf: true }));
    return createTargetClient(cfg.targets[0]!);
  };
  const direct = clientFor(o.rgw.endpoint);
  await direct.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const perDelay: Record<string, unknown>[] = [];
  try {
    for (const p of o.proxies) {
      const c = clientFor(p.url);
      const samples: Sample[] = [];
      const one = async (op: 'GetObject' | 'PutObject') => {
        let wire: ReturnType<WireTracer['lastWire']>;
        const traces: RequestTrace[] = [];
        const scope = {
          target: 'truth', operation: op, traces,
          onTrace: (t: RequestTrace) => {
            tracer.observe(t);
            const w = tracer.lastWire();
            if (w?.trace === t) wire = w;
          },
        };
        // timed as the prober's own op() times it (operationTiming): first request issued -> body consumed
        const t0 = process.hrtime.bigint();
        await withRequestScope(scope, async () => {
          if (op === 'PutObject') {
            await c.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length }));
          } else {
            const r = await c.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
            await r.Body?.transformToByteArray();
          }
        });
        const t1 = process.hrtime.bigint();
        const { durationSeconds: clientS, prepareSeconds } = operationTiming(t0, t1, traces);
        const t = traces[traces.length - 1]!;
        const w = wire?.wire;
        return {
          op, clientS, prepareS: prepareSeconds, traceS: Number((t.endNs ?? t0) - t.startNs) / 1e9,
          wireS: w?.wireSeconds, serverS: w?.phases.server, overheadS: w?.overheadSeconds,
          // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.min does not take
          localPort: t.localPort, startNs: t.startNs < t0 ? t.startNs : t0, endNs: t1,
        } satisfies Sample;
      };
      for (let i = 0; i < 4; i++) await one(i % 2 ? 'GetObject' : 'PutObject'); // warm: connection open, JIT
      for (let i = 0; i < o.samples * 2; i++) samples.push(await one(i % 2 ? 'GetObject' : 'PutObject'));
      c.destroy();
      const D = p.delayMs;
      const px = await proxyExchanges(D);
      const join = joinProxy(samples, px.records);
      const ops: Record<string, unknown> = {};
      const nsMs = (a: bigint, b: bigint) => Number(b - a) / 1e6;
      for (const op of ['GetObject', 'PutObject']) {
        const s = samples.filter((x) => x.op === op);
        const def = <T>(xs: (T | undefined)[]) => xs.filter((x): x is T => x !== undefined);
        const wired = s.filter((x) => x.wireS !== undefined);
        // the proxy's own view: whole request in -> first response byte out (RGW + hold + proxy)
        const proxyServer = (x: Sample) => x.proxy?.requestInNs !== undefined && x.proxy.firstByteOutNs !== undefined
          ? nsMs(x.proxy.requestInNs, x.proxy.firstByteOutNs) : undefined;
        const proxied = s.filter((x) => proxyServer(x) !== undefined);
        const truthful = proxied.filter((x) => x.serverS !== undefined);
        ops[op] = {
          samples: s.length, wireJoined: wired.length, proxyJoined: proxied.length, truthJoined: truthful.length,
          // ground truth, measured by the proxy (its process, its clock = CLOCK_MONOTONIC)
          proxyServerMs: dist(proxied.map((x) => proxyServer(x)!)),
          // how late the proxy's setTimeout(D) fired (0 at D = 0: no hold)
          proxyHoldMinusDMs: dist(proxied.map((x) => Number(x.proxy!.holdNs) / 1e6 - D)),
          // RGW as the proxy saw it: whole request in -> upstream response head
          proxyUpstreamMs: dist(def(proxied.map((x) => (x.proxy!.upstreamNs !== undefined ? nsMs(x.proxy!.requestInNs!, x.proxy!.upstreamNs) : undefined)))),
          // head read -> whole request read: 0 when the request came in one read with its head
          proxyHeadToRequestInMs: dist(proxied.map((x) => nsMs(x.proxy!.headNs, x.proxy!.requestInNs!))),
          // the tracer's error against ground truth: kernel server phase minus what the proxy measured
          wireServerMinusProxyMs: dist(truthful.map((x) => x.serverS! * 1000 - proxyServer(x)!)),
          clientMinusDMs: dist(s.map((x) => x.clientS * 1000 - D)),
          requestMinusDMs: dist(s.map((x) => x.traceS * 1000 - D)),
          wireMinusDMs: dist(def(s.map((x) => ms(x.wireS))).map((x) => x - D)),
          serverPhaseMs: dist(def(s.map((x) => ms(x.serverS)))),
          serverMinusDMs: dist(def(s.map((x) => ms(x.serverS))).map((x) => x - D)),
          // what the prober reports (first request issued -> body read) beyond what the wire took
          clientOverWireMs: dist(wired.map((x) => (x.clientS - x.wireS!) * 1000)),
          // the SDK's work before the request (the prepare phase, not in the reported latency)
          prepareMs: dist(def(s.map((x) => ms(x.prepareS)))),
          // s3prober_client_overhead_seconds: the HTTP request's client time beyond the wire
          requestOverheadMs: dist(def(s.map((x) => ms(x.overheadS)))),
        };
      }
      perDelay.push({ delayMs: D, ops, proxyRecords: px.records.length, proxyDropped: px.dropped, ...join });
    }
  } finally {
    await direct.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    await direct.s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    direct.destroy();
    await tracer.close();
  }
  return { tracerUp: tracer.up || perDelay.some((d) => Object.values(d.ops as Record<string, { wireJoined: number }>).some((x) => x.wireJoined > 0)), perDelay };
}

// ---- 5. tracer throughput -----------------------------------------------------------------------
async function throughput(): Promise<Record<string, unknown>> {
  const o = opts as { echoUrl: string; concurrency: number[]; seconds: number };
  const registry = new Registry();
  const tracer = await startWireTracer({ registry, logger: logger('throughput'), enabled: true });
  const counter = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;
  const cfg = parseConfig(benchConfigYaml({ endpoint: o.echoUrl, accessKeyId: 'bench', secretAccessKey: 'bench', targets: 1, name: 'tp', schedule: '*/10 * * * * *', ebpf: true }));
  const body = Buffer.alloc(4096, 0x63);
  const onTrace = (t: RequestTrace) => tracer.observe(t);
  const steps: Record<string, unknown>[] = [];
  for (const kind of ['sdk', 'http'] as const) {
    for (const c of o.concurrency) {
      const client = createTargetClient(cfg.targets[0]!);
      const agent = new http.Agent({ keepAlive: true, maxSockets: c });
      let i = 0;
      const op = async (): Promise<void> => {
        const operation = i++ % 2 ? 'GetObject' : 'PutObject';
        const traces: RequestTrace[] = [];
        await withRequestScope({ target: 'tp', operation, traces, onTrace }, async () => {
          if (kind === 'http') {
            // bare node:http: the tracer's ceiling without the SDK's own CPU cost per request
            await new Promise<void>((res, rej) => {
              const q = http.request(`${o.echoUrl}/b/k`, { agent, method: 'GET' }, (r) => { r.resume(); r.on('end', res); r.on('error', rej); });
              q.on('error', rej);
              q.end();
            });
          } else if (operation === 'PutObject') {
            await client.s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: body, ContentLength: body.length }));
          } else {
            const r = await client.s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
            await r.Body?.transformToByteArray();
          }
        });
      };
      for (let w = 0; w < c; w++) await op(); // open the connections
      const ev0 = await counter(WIRE_FAMILY_NAMES.ebpfEvents);
      const dr0 = await counter(WIRE_FAMILY_NAMES.ebpfDropped);
      const un0 = (await registry.getSingleMetric(WIRE_FAMILY_NAMES.unmatched)?.get())?.values.reduce((a, v) => a + v.value, 0) ?? 0;
      const h = eld();
      let ops = 0;
      const t0 = process.hrtime.bigint();
      const end = Date.now() + o.seconds * 1000;
      const cpu0 = process.cpuUsage();
      await Promise.all(Array.from({ length: c }, async () => {
        while (Date.now() < end) {
          await op();
          ops++;
        }
      }));
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = cpuSeconds(process.cpuUsage(cpu0));
      await sleep(50);
      const un1 = (await registry.getSingleMetric(WIRE_FAMILY_NAMES.unmatched)?.get())?.values.reduce((a, v) => a + v.value, 0) ?? 0;
      steps.push({
        client: kind, concurrency: c, opsPerSecond: ops / wall, ops, cpuCoreFraction: cpu / wall,
        events: (await counter(WIRE_FAMILY_NAMES.ebpfEvents)) - ev0, dropped: (await counter(WIRE_FAMILY_NAMES.ebpfDropped)) - dr0,
        unmatched: un1 - un0, eventLoopDelayMs: eldMs(h),
      });
      h.disable();
      client.destroy();
      agent.destroy();
    }
  }
  const up = tracer.up;
  await tracer.close();
  return { tracerUp: up, steps };
}

/** Least-squares line through (t, y): its slope, and the growth it implies over the span of t. */
function trend(points: [number, number][]): { slope: number; growth: number } {
  const n = points.length;
  if (n < 2) return { slope: 0, growth: 0 };
  const mt = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [t, y] of points) {
    num += (t - mt) * (y - my);
    den += (t - mt) ** 2;
  }
  const slope = den ? num / den : 0;
  return { slope, growth: slope * (points[n - 1]![0] - points[0]![0]) };
}

// ---- soak (issue 5) ----------------------------------------------------------------------------
async function soak(): Promise<Record<string, unknown>> {
  const o = opts as { rgw: S3Endpoint; proxyUrl: string; targets: number; cycles: number; warmCycles: number; warmupSeconds: number; timeout: string; ebpf: boolean };
  const gc = (globalThis as { gc?: () => void }).gc;
  const settle = async () => { gc?.(); await sleep(100); gc?.(); };
  const fds0 = fdCount();
  const { rt, tracerUp } = await exporter({ ...o.rgw, endpoint: o.proxyUrl }, {
    targets: o.targets, name: 'soak', schedule: '* * * * * *', ebpf: o.ebpf, timeout: o.timeout, spread: 0.9,
  });
  const t0 = Date.now();
  const samples: { t: number; cycles: number; rssMb: number; heapMb: number; fds: number }[] = [];
  let maxFds = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    const fds = fdCount();
    maxFds = Math.max(maxFds, fds);
    samples.push({ t: (Date.now() - t0) / 1000, cycles: seen.cycles, rssMb: mb(m.rss), heapMb: mb(m.heapUsed), fds });
    if (samples.length % 30 === 0) void send({ type: 'progress', cycles: seen.cycles, rssMb: mb(m.rss), fds });
  }, 1000);
  // Warm-up (by default until the latency summary's sliding window is full: its digests grow with
  // every observation until then, by design), and at least warmCycles. The N cycles are measured after it.
  const fullAt = t0 + o.warmupSeconds * 1000;
  await until(() => seen.cycles >= o.warmCycles && Date.now() >= fullAt, 3_600_000);
  await settle();
  const warm = { cycles: seen.cycles, rssMb: mb(process.memoryUsage().rss), heapMb: mb(process.memoryUsage().heapUsed), fds: fdCount(), atSeconds: (Date.now() - t0) / 1000 };
  const h = eld();
  const cycles0 = seen.cycles;
  const ops0 = seen.ops;
  const at0 = { failures: seen.failures, skipped: seen.skipped, reasons: { ...seen.reasons } };
  await until(() => seen.cycles >= cycles0 + o.cycles, 24 * 3_600_000);
  const loop = eldMs(h);
  const atN = { cycles: seen.cycles - cycles0, seconds: (Date.now() - t0) / 1000 - warm.atSeconds };
  // RSS at one instant moves by tens of MB with V8's heap sizing; the trend of the once-a-second
  // samples over the measured cycles does not. It starts a minute after the baseline: the baseline's
  // forced gc() drops RSS by ~50 MB, which V8 grows back within that minute (soak of 2026-11-21).
  const measured = samples.filter((x) => x.t >= warm.atSeconds + 60);
  const rssTrend = trend(measured.map((x) => [x.t, x.rssMb]));
  const heapTrend = trend(measured.map((x) => [x.t, x.heapMb]));
  const opsRun = seen.ops - ops0;
  const reasons = Object.fromEntries(Object.entries(seen.reasons).map(([k, v]) => [k, v - (at0.reasons[k] ?? 0)]));
  const failures = seen.failures - at0.failures;
  const skipped = seen.skipped - at0.skipped;
  // faults off: let every target run clean cycles, which retry what earlier cycles could not remove
  await send({ type: 'faults-off' });
  await new Promise<void>((r) => process.on('message', (m: { type?: string }) => m.type === 'faults-off-done' && r()));
  const c1 = seen.cycles;
  await until(() => seen.cycles >= c1 + 2 * o.targets, 120_000);
  await settle();
  const end = { rssMb: mb(process.memoryUsage().rss), heapMb: mb(process.memoryUsage().heapUsed), fds: fdCount() };
  const leftoverGauge = [...seen.leftovers.values()].reduce((a, b) => a + b, 0);
  clearInterval(sampler);
  await rt.stop();
  await sleep(500); // destroyed sockets close on a later tick
  const fdsAfterStop = fdCount();
  // what is really left in the store, asked of RGW directly (not through the proxy)
  const cfg = parseConfig(benchConfigYaml({ ...o.rgw, targets: 1, name: 'soak', schedule: '*/10 * * * * *', ebpf: false }));
  const c = createTargetClient(cfg.targets[0]!);
  const buckets = ((await c.s3.send(new ListBucketsCommand({}))).Buckets ?? []).filter((b) => b.Name?.startsWith('soak-'));
  let objects = 0;
  let uploads = 0;
  for (const b of buckets) {
    objects += (await c.s3.send(new ListObjectsV2Command({ Bucket: b.Name! }))).KeyCount ?? 0;
    uploads += (await c.s3.send(new ListMultipartUploadsCommand({ Bucket: b.Name! }))).Uploads?.length ?? 0;
  }
  c.destroy();
  return {
    tracerUp, targets: o.targets, cyclesRequested: o.cycles, cycles: atN.cycles, secondsToN: atN.seconds,
    cyclesMeasured: atN.cycles, warmupCycles: cycles0, opsMeasured: opsRun, failures, reasons, cyclesSkipped: skipped, gcExposed: gc !== undefined,
    warm, end, rssGrowthMb: end.rssMb - warm.rssMb, heapGrowthMb: end.heapMb - warm.heapMb,
    rssTrendGrowthMb: rssTrend.growth, rssTrendSlopeMbPerHour: rssTrend.slope * 3600, heapTrendGrowthMb: heapTrend.growth,
    fds: { beforeStart: fds0, warm: warm.fds, end: end.fds, max: maxFds, afterStop: fdsAfterStop },
    eventLoopDelayMs: loop,
    leftovers: { exporterGauge: leftoverGauge, bucketsInStore: buckets.length, objectsInStore: objects, uploadsInStore: uploads },
    rssSamples: samples.filter((_, i) => i % 10 === 0).map((s) => [s.t, s.cycles, Number(s.rssMb.toFixed(1)), Number(s.heapMb.toFixed(1)), s.fds]),
  };
}

// orphaned (the harness was killed): never keep probing on our own
process.once('disconnect', () => process.exit(1));

const modes: Record<string, () => Promise<Record<string, unknown>>> = { cost, scale, truth, throughput, soak };
try {
  const run = modes[mode];
  if (!run) throw new Error(`unknown mode ${mode}`);
  const r = await run();
  await send({ type: 'result', ...r });
  process.exit(0);
} catch (e) {
  await send({ type: 'error', message: (e as Error).stack ?? String(e) });
  process.exit(1);
}
