// `npm run bench`: the benchmark harness (issue 6), and `npm run bench -- soak` (issue 5).
// Starts its own Ceph RGW (.work/rgw-bench, 127.0.0.1:27480) unless --endpoint/S3PROBER_BENCH_ENDPOINT
// names one, runs each section in fresh child processes (the prober pinned to core 0, servers on the
// other cores), prints a table and writes bench/results/latest.json (or --out FILE).
//
//   node dist/bench/run.js [--quick] [--sections cost,truth,scale,scrape,throughput] [--out FILE]
//   node dist/bench/run.js soak [--cycles 10000] [--targets 20] [--out FILE]
//   --profile: V8 CPU profile of each measured worker in bench/results/profiles/
// See bench/README.md for what each figure means.
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, cpus, loadavg, release } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SUMMARY_WINDOW_SECONDS } from '../src/metrics/families.js';
import { cliFirstLine, cpuLayout, describeForm, dist, REPO_ROOT, round, startBenchRgw, startChild, type Child, type NodeForm, type S3Endpoint } from './lib.js';
import type { RssBreakdown } from './rss-breakdown.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    sections: { type: 'string' },
    out: { type: 'string' },
    cycles: { type: 'string' },
    // soak: seconds of warm-up before the measured cycles (default: the latency summary's window, full)
    warmup: { type: 'string' },
    targets: { type: 'string' },
    endpoint: { type: 'string' },
    'no-ebpf': { type: 'boolean', default: false },
    // V8 CPU profiles of every measured worker, in bench/results/profiles (for finding a missed target's cause)
    profile: { type: 'boolean', default: false },
  },
});
const SOAK = positionals[0] === 'soak';
if (positionals.length && !SOAK) throw new Error(`unknown command ${positionals[0]} (expected nothing or "soak")`);
const QUICK = args.quick;
const ALL = ['cost', 'truth', 'scale', 'scrape', 'throughput'];
const SECTIONS = new Set(args.sections ? args.sections.split(',') : ALL);
for (const s of SECTIONS) if (!ALL.includes(s)) throw new Error(`unknown section ${s} (${ALL.join(', ')})`);
const EBPF = !args['no-ebpf'];
const RESULTS = path.join(REPO_ROOT, 'bench/results');
mkdirSync(RESULTS, { recursive: true });

const layout = cpuLayout();
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const f = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

// Figures of the whole machine: other users' load changes them, so it is part of the result.
function machine(): Record<string, unknown> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    nproc: availableParallelism(),
    cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model,
    kernel: release(),
    node: process.version,
    root: process.getuid?.() === 0,
    pinned: layout.pinned ? { prober: layout.prober.join(' '), servers: layout.servers.join(' ') } : false,
    loadavgAtStart: loadavg().map((x) => round(x, 2)),
    prober: proberForm(),
  };
}

function table(title: string, head: string[], rows: unknown[][]): void {
  const all = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  console.log(`\n${title}`);
  for (const [i, r] of all.entries()) {
    console.log(r.map((c, j) => c.padStart(w[j]!)).join('  '));
    if (i === 0) console.log(w.map((n) => '-'.repeat(n)).join('  '));
  }
}

/** A measured prober process, started as the CLI starts (see proberForm). */
function worker(mode: string, o: Record<string, unknown>, nodeArgs: string[] = []): Child {
  const prof = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(RESULTS, 'profiles')}`, `--cpu-prof-name=${mode}-${Date.now()}.cpuprofile`] : [];
  const form = proberForm();
  return startChild('worker.js', [mode, JSON.stringify(o)], { pin: layout.prober, nodeArgs: [...prof, ...form.nodeArgs, ...nodeArgs], env: { ...process.env, ...form.env } });
}

async function run1(mode: string, o: Record<string, unknown>): Promise<Record<string, unknown>> {
  const w = worker(mode, o);
  try {
    const { type: _t, ...r } = await w.next('result');
    return r;
  } finally {
    await w.stop(10_000);
  }
}

async function server(kind: 'proxy' | 'echo', a: string[] = []): Promise<{ child: Child; url: string }> {
  const child = startChild('servers.js', [kind, ...a], { pin: layout.servers });
  const m = await child.next<{ url: string }>('ready', 30_000);
  return { child, url: m.url };
}

/** What Prometheus 3 sends: OpenMetrics first, gzip. */
const PROMETHEUS_HEADERS = {
  Accept: 'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
  'Accept-Encoding': 'gzip',
};

function scrapeOnce(url: string, headers: Record<string, string> = {}): Promise<{ ms: number; bytes: number; status: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    http.get(url, { agent: false, headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes, status: res.statusCode ?? 0 }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

// biome-ignore lint/suspicious/noExplicitAny: the workers' JSON records, read field by field
type R = Record<string, any>;

/** Scrapes at a fraction of the cycle interval, so each scrape finds many series changed since the
 *  last one (back to back, it would find few); alternately as Prometheus does (OpenMetrics, gzip)
 *  and as curl does (text, uncompressed). The target is judged on Prometheus' scrape. */
async function scrapeRun(url: string): Promise<R> {
  const k = QUICK ? 4 : 16;
  const every = QUICK ? 200 : 4000;
  const got: { ms: number; bytes: number; status: number }[][] = [[], []];
  for (let i = 0; i < k; i++) {
    const t = Date.now();
    got[i % 2]!.push(await scrapeOnce(url, i % 2 ? {} : PROMETHEUS_HEADERS));
    await new Promise((res) => setTimeout(res, Math.max(0, every - (Date.now() - t))));
  }
  const text = await new Promise<string>((res, rej) => http.get(url, (q) => { let s = ''; q.setEncoding('utf8'); q.on('data', (c: string) => (s += c)); q.on('end', () => res(s)); }).on('error', rej));
  // the first scrape of each kind renders (and compresses) every series: apart from the rest
  const kind = (g: { ms: number; bytes: number; status: number }[]) => ({
    scrapes: g.length, status: [...new Set(g.map((x) => x.status))], firstMs: g[0]?.ms, latencyMs: dist(g.slice(1).map((x) => x.ms)), bytes: dist(g.map((x) => x.bytes)),
    eachMs: g.map((x) => Math.round(x.ms * 10) / 10),
  });
  return { everyMs: every, series: text.split('\n').filter((l) => l && !l.startsWith('#')).length, ...kind(got[0]!), plain: kind(got[1]!) };
} // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the workers

// ---- sections ----------------------------------------------------------------------------------
/** How every measured prober process runs. `shipped` (default): as `s3prober run` starts, with the
 *  V8 flags and environment of the CLI's first line (dist/src/cli/main.js: `#!/usr/bin/env -S
 *  VAR=value node --flag`), so that every section measures what ships; `tsc`
 *  (S3PROBER_BENCH_NODE_FORM=tsc): node's defaults. */
interface ProberForm extends NodeForm { form: 'shipped' | 'tsc' }
let proberFormRead: ProberForm | undefined;
function proberForm(): ProberForm {
  proberFormRead ??= process.env.S3PROBER_BENCH_NODE_FORM === 'tsc' ? { form: 'tsc', nodeArgs: [], env: {} } : { form: 'shipped', ...cliFirstLine() };
  return proberFormRead;
}

async function sectionCost(rgw: S3Endpoint): Promise<R> {
  const form = proberForm();
  const o = { rgw, targets: 10, warmSeconds: QUICK ? 1 : 3, seconds: QUICK ? 2 : 12 };
  // separate processes per mode (honest RSS); off/on alternate so drift hits both
  const order = (QUICK ? [false, true] : [false, true, false, true]).map((on) => on && EBPF);
  const runs: R[] = [];
  for (const ebpf of order) {
    log(`cost: 10 targets, tracer ${ebpf ? 'on' : 'off'}, ${o.seconds} s (${form.form} ${describeForm(form)})`);
    runs.push(await run1('cost', { ...o, ebpf }));
  }
  const agg = (on: boolean) => {
    const rs = runs.filter((r) => r.tracerRequested === on);
    const cpu = rs.reduce((a, r) => a + r.cpuSeconds, 0);
    const ops = rs.reduce((a, r) => a + r.ops, 0);
    return {
      runs: rs.length, ops, cpuSeconds: cpu, cpuSecondsPer1000Ops: (cpu / ops) * 1000,
      peakRssMb: Math.max(...rs.map((r) => r.peakRssMb)), tracerUp: rs.every((r) => r.tracerUp),
      // where the memory was in the run whose measured window saw the highest RSS
      peakRssBreakdown: rs.map((r) => r.peakRssBreakdown).sort((a, b) => b.rssMb - a.rssMb)[0],
      opsPerSecond: rs.reduce((a, r) => a + r.opsPerSecond, 0) / rs.length,
      failures: rs.reduce((a, r) => a + r.failures, 0),
    };
  };
  const off = agg(false);
  const on = EBPF ? agg(true) : undefined;
  return { targets: 10, objectSize: '4KiB', form: form.form, nodeArgs: form.nodeArgs, env: form.env, off, on, cpuRatioOnOff: on ? on.cpuSecondsPer1000Ops / off.cpuSecondsPer1000Ops : undefined, runs };
}

async function sectionTruth(rgw: S3Endpoint): Promise<R> {
  const delays = QUICK ? [0, 10] : [0, 10, 50, 200];
  const proxies = await Promise.all(delays.map(async (d) => ({ delayMs: d, ...(await server('proxy', [rgw.endpoint, String(d)])) })));
  try {
    log(`truth: delays ${delays.join(', ')} ms through the fault proxy`);
    const w = worker('truth', { rgw, samples: QUICK ? 10 : 100, proxies: proxies.map((p) => ({ delayMs: p.delayMs, url: p.url })) });
    try {
      // after each D's samples the worker asks for that proxy's records (the ground truth), relayed
      // from the proxy process, to join them to its samples
      for (let i = 0; i < proxies.length; i++) {
        const { delayMs } = await w.next<{ delayMs: number }>('proxy-exchanges');
        const p = proxies.find((x) => x.delayMs === delayMs)!;
        p.child.send({ type: 'exchanges' });
        const { type: _t, ...m } = await p.child.next<R>('exchanges', 30_000);
        w.send({ type: 'proxy-exchanges', delayMs, ...m });
      }
      const { type: _t, ...r } = await w.next<R>('result');
      return r;
    } finally {
      await w.stop(10_000);
    }
  } finally {
    await Promise.all(proxies.map((p) => p.child.stop()));
  }
}

async function sectionScale(rgw: S3Endpoint, doScale: boolean, doScrape: boolean): Promise<{ scale?: R; scrape?: R }> {
  const counts = QUICK ? [1, 3] : doScale ? [1, 10, 100, 300] : [300];
  const interval = QUICK ? 1 : 10;
  const slots = QUICK ? 2 : doScale ? 2 : 1;
  const rows: R[] = [];
  let scrape: R | undefined;
  for (const n of counts) {
    const last = n === counts[counts.length - 1];
    log(`scale: ${n} targets, ${interval} s interval, ${slots} intervals measured${last && doScrape ? ', then /metrics scrapes' : ''}`);
    const w = worker('scale', { rgw, targets: n, intervalSeconds: interval, slots, ebpf: EBPF, scrape: last && doScrape });
    try {
      const { type: _t, ...r } = await w.next<R>('result');
      rows.push(r);
      if (last && doScrape) {
        const { url } = await w.next<{ url: string }>('scrape-ready');
        scrape = { targets: n, cycles: r.cycles, failures: r.failures, reasons: r.reasons, ...(await scrapeRun(url)) };
        w.send({ type: 'done' });
        const { type: _c, ...cpu } = await w.next<R>('scrape-cpu');
        scrape.whileScraped = { ...cpu, unscraped: { cpuCoreFraction: r.cpuCoreFraction, cpuMsPerCycle: r.cpuMsPerCycle } };
      }
    } finally {
      await w.stop(10_000);
    }
  }
  let linear: R | undefined;
  const by = (n: number) => rows.find((r) => r.targets === n);
  const lo = by(10) ?? rows[1];
  const hi = rows[rows.length - 1];
  if (lo && hi && lo !== hi) {
    linear = {
      from: lo.targets, to: hi.targets,
      cpuMsPerCycleRatio: hi.cpuMsPerCycle / lo.cpuMsPerCycle,
      cpuPer1000OpsRatio: hi.cpuSecondsPer1000Ops / lo.cpuSecondsPer1000Ops,
    };
  }
  if (doScrape && !QUICK) {
    // the same exporter at a minute's interval (cycles spread over it): what a scrape costs when the
    // prober's core is not already saturated by 300 targets every 10 s
    const n = counts[counts.length - 1]!;
    log(`scrape: ${n} targets, 60 s interval, /metrics scrapes`);
    const w = worker('scale', { rgw, targets: n, intervalSeconds: 60, slots: 0, ebpf: EBPF, scrape: true });
    try {
      const { type: _t, ...r } = await w.next<R>('result');
      const { url } = await w.next<{ url: string }>('scrape-ready');
      scrape!.minute = { intervalSeconds: 60, cycles: r.cycles, failures: r.failures, reasons: r.reasons, ...(await scrapeRun(url)) };
      w.send({ type: 'done' });
      const { type: _c, ...cpu } = await w.next<R>('scrape-cpu');
      scrape!.minute.whileScraped = cpu;
    } finally {
      await w.stop(10_000);
    }
  }
  return { ...(doScale ? { scale: { intervalSeconds: interval, rows, linear } } : {}), ...(scrape ? { scrape } : {}) };
}

async function sectionThroughput(): Promise<R> {
  const echo = await server('echo');
  try {
    const concurrency = QUICK ? [1, 4] : [1, 4, 16, 64];
    log(`throughput: tracer on, concurrency ${concurrency.join(', ')}, SDK and bare HTTP`);
    const r = await run1('throughput', { echoUrl: echo.url, concurrency, seconds: QUICK ? 0.5 : 4 });
    const clean = (r.steps as R[]).filter((s) => s.dropped === 0);
    const best = (kind: string) => clean.filter((s) => s.client === kind).reduce<R | undefined>((a, s) => (!a || s.opsPerSecond > a.opsPerSecond ? s : a), undefined);
    return { ...r, maxZeroDropOpsPerSecond: { sdk: best('sdk')?.opsPerSecond, http: best('http')?.opsPerSecond }, anyDrops: (r.steps as R[]).some((s) => s.dropped > 0) };
  } finally {
    await echo.child.stop();
  }
}

async function soak(rgw: S3Endpoint): Promise<R> {
  const cycles = Number(args.cycles ?? (QUICK ? 60 : 10_000));
  const targets = Number(args.targets ?? (QUICK ? 5 : 20));
  const proxy = await server('proxy', [rgw.endpoint]);
  // a random fault in about 1 of 50 requests, every kind the fault matrix knows
  const p = 0.0025;
  const faults = [
    { kind: 'delay', ms: 300, probability: p },
    { kind: 'status', status: 503, code: 'SlowDown', probability: p },
    { kind: 'status', status: 500, probability: p },
    { kind: 'reset-request', probability: p },
    { kind: 'reset-response', probability: p, match: { method: 'GET' } },
    { kind: 'truncate', probability: p, match: { method: 'GET' } },
    { kind: 'corrupt', probability: p, match: { operation: 'GetObject' } },
    { kind: 'stall', probability: p / 2 },
  ];
  proxy.child.send({ type: 'faults', faults });
  await proxy.child.next('faults-set');
  log(`soak: warm-up ${args.warmup ?? SUMMARY_WINDOW_SECONDS + 10} s, then ${cycles} cycles measured, ${targets} targets every second through the fault proxy (faults in ~2% of requests)`);
  const w = worker('soak', { rgw, proxyUrl: proxy.url, targets, cycles, warmCycles: targets * 3, warmupSeconds: Number(args.warmup ?? SUMMARY_WINDOW_SECONDS + 10), timeout: '2s', ebpf: EBPF }, ['--expose-gc']);
  try {
    void (async () => {
      for (;;) {
        const m = await w.next<R>('progress', 24 * 3_600_000).catch(() => undefined);
        if (!m) return;
        log(`soak: ${m.cycles} cycles, rss ${f(m.rssMb, 1)} MB, ${m.fds} fds`);
      }
    })();
    await w.next('faults-off', 24 * 3_600_000);
    proxy.child.send({ type: 'faults', faults: null });
    await proxy.child.next('faults-set');
    w.send({ type: 'faults-off-done' });
    const { type: _t, ...r } = await w.next<R>('result', 600_000);
    proxy.child.send({ type: 'stats' });
    const stats = await proxy.child.next<R>('stats');
    return { ...r, proxy: { requests: stats.requests, faulted: stats.faulted }, faults: faults.map((x) => x.kind) };
  } finally {
    await w.stop(10_000);
    await proxy.child.stop();
  }
}

// ---- targets of issues 6 and 5 -----------------------------------------------------------------
interface Verdict { target: string; value: string; met: boolean | null }

function verdicts(res: R): Verdict[] {
  const v: Verdict[] = [];
  const add = (target: string, value: number | undefined, ok: (x: number) => boolean, unit: string) =>
    v.push({ target, value: value === undefined ? 'n/a' : `${f(value, 3)} ${unit}`.trim(), met: value === undefined ? null : ok(value) });
  if (res.cost) {
    add('RSS < 100 MB with 10 targets (peak, tracer on and off)', Math.max(res.cost.off.peakRssMb, res.cost.on?.peakRssMb ?? 0), (x) => x < 100, 'MB');
    add('tracer adds <= 5% CPU (on/off per op)', res.cost.cpuRatioOnOff, (x) => x <= 1.05, 'x');
  }
  if (res.truth) {
    // Against ground truth: the kernel's server phase minus the server time the proxy measured for
    // the same request (so the proxy's late timer and RGW's own time are not charged to the tracer).
    // Every D including 0; met on the worst |p50|, p99 shown; too few joined samples, or joins that
    // contradict the proxy's order of requests on a connection, are not met.
    const every = (res.truth.perDelay as R[]).flatMap((d) => Object.values(d.ops as R));
    const p50s = every.map((x) => x.wireServerMinusProxyMs?.p50).filter((x): x is number => x !== undefined);
    const p99s = every.map((x) => x.wireServerMinusProxyMs?.p99).filter((x): x is number => x !== undefined);
    const joined = every.reduce((a, x) => a + (x.truthJoined ?? 0), 0);
    const samples = every.reduce((a, x) => a + x.samples, 0);
    const doubtful = (res.truth.perDelay as R[]).reduce((a, d) => a + (d.ambiguous ?? 0) + (d.outOfOrder ?? 0), 0);
    const target = 'wire server phase within 1 ms of proxy-measured server time (|p50|, worst D/op)';
    if (!p50s.length) v.push({ target, value: 'n/a', met: null });
    else {
      const p50 = Math.max(...p50s.map(Math.abs));
      const p99 = Math.max(...p99s.map(Math.abs));
      const enough = joined >= 0.9 * samples;
      v.push({
        target, value: `${f(p50, 3)} ms (worst |p99| ${f(p99, 3)} ms; ${joined}/${samples} joined${doubtful ? `, ${doubtful} ambiguous/out of order` : ''})`,
        met: p50 <= 1 && enough && doubtful === 0,
      });
    }
    const warm = (res.truth.perDelay as R[]).flatMap((d) => Object.values(d.ops as R));
    const w2 = (k: (x: R) => number | undefined) => {
      const xs = warm.map(k).filter((x): x is number => x !== undefined);
      return xs.length ? Math.max(...xs) : undefined;
    };
    add('client overhead over wire p50 < 1 ms (warm Get/Put, worst D/op)', w2((x) => x.clientOverWireMs.p50), (x) => x < 1, 'ms');
    add('client overhead over wire p99 < 5 ms (warm Get/Put, worst D/op)', w2((x) => x.clientOverWireMs.p99), (x) => x < 5, 'ms');
  }
  if (res.scale) {
    const rows = res.scale.rows as R[];
    const top = rows[rows.length - 1]!;
    add(`schedule drift p99 < 100 ms at ${top.targets} targets`, top.driftMs.p99, (x) => x < 100, 'ms');
    add('cost grows linearly (CPU per cycle, largest vs 10 targets, <= 1.25x)', res.scale.linear?.cpuMsPerCycleRatio, (x) => x <= 1.25, 'x');
  }
  if (res.scrape) add(`/metrics p99 < 100 ms at ${res.scrape.targets} targets, 10 s cycles (Prometheus scrape, after the first)`, res.scrape.latencyMs.p99, (x) => x < 100, 'ms');
  if (res.scrape?.minute) add(`/metrics p99 < 100 ms at ${res.scrape.targets} targets, 60 s cycles (Prometheus scrape, after the first)`, res.scrape.minute.latencyMs.p99, (x) => x < 100, 'ms');
  if (res.throughput) add('tracer: highest op rate with zero drops (SDK; no target)', res.throughput.maxZeroDropOpsPerSecond.sdk, () => true, 'ops/s');
  if (res.soak) {
    const s = res.soak;
    add('soak: RSS growth after warm-up < 10 MB (trend over the measured cycles)', s.rssTrendGrowthMb, (x) => x < 10, 'MB');
    add('soak: open fds flat (end - warm-up <= 2)', s.fds.end - s.fds.warm, (x) => x <= 2, 'fds');
    add('soak: event-loop delay p99 < 20 ms', s.eventLoopDelayMs.p99, (x) => x < 20, 'ms');
    const l = s.leftovers;
    add('soak: zero leftovers at the end', l.exporterGauge + l.bucketsInStore + l.objectsInStore + l.uploadsInStore, (x) => x === 0, '');
  }
  return v;
}

function print(res: R): void {
  if (res.cost) {
    const c = res.cost;
    const how = c.form === 'tsc' ? "node's defaults" : `as started: ${describeForm({ env: c.env ?? {}, nodeArgs: c.nodeArgs ?? [] })}`;
    table(`1. Cost per operation (10 targets, 4 KiB objects, cycles every second; ${how})`, ['tracer', 'ops', 'ops/s', 'CPU s/1000 ops', 'peak RSS MB', 'failures'],
      [['off', c.off.ops, f(c.off.opsPerSecond, 0), f(c.off.cpuSecondsPer1000Ops, 3), f(c.off.peakRssMb, 1), c.off.failures],
        ...(c.on ? [[`on${c.on.tracerUp ? '' : ' (DOWN)'}`, c.on.ops, f(c.on.opsPerSecond, 0), f(c.on.cpuSecondsPer1000Ops, 3), f(c.on.peakRssMb, 1), c.on.failures]] : [])]);
    console.log(`CPU ratio on/off: ${f(c.cpuRatioOnOff, 3)}`);
    for (const [mode, x] of [['off', c.off], ['on', c.on]] as const) {
      const b = x?.peakRssBreakdown as RssBreakdown | undefined;
      if (!b) continue;
      const spaces = Object.entries(b.v8SpacesMb).map(([k, v]) => `${k.replace(/_space$/, '')} ${v}`).join(', ');
      console.log(`RSS at its highest while measured, tracer ${mode}: ${b.rssMb} MB = node binary ${b.nodeBinaryMb} + other files ${b.otherFilesMb}`
        + ` + V8 heap ${b.v8HeapMb} (${spaces}) + other anonymous ${b.offHeapAnonymousMb} (malloc, stacks)`);
    }
  }
  if (res.truth) {
    const rows: (string | number)[][] = [];
    for (const d of res.truth.perDelay as R[]) {
      for (const [op, x] of Object.entries(d.ops as R)) {
        const pp = (k: string) => `${f(x[k]?.p50)}/${f(x[k]?.p99)}`;
        rows.push([d.delayMs, op, `${x.samples}/${x.truthJoined ?? 0}`, pp('clientMinusDMs'), pp('wireMinusDMs'),
          pp('proxyServerMs'), pp('proxyHoldMinusDMs'), pp('wireServerMinusProxyMs'), pp('clientOverWireMs'), pp('requestOverheadMs'), pp('prepareMs')]);
      }
    }
    table(`2. Truth: fault proxy delays every response by D (ms, p50/p99)${res.truth.tracerUp ? '' : ' [tracer DOWN: no wire figures]'}`,
      ['D', 'op', 'n/joined', 'client-D', 'wire-D', 'proxy srv', 'hold-D', 'wire srv-proxy srv', 'client-wire', 'req overhead', 'prepare'], rows);
    console.log('proxy srv: the proxy\'s own clock, whole request in -> first response byte out (RGW + hold); hold-D: how late its\n'
      + 'timer fired; wire srv-proxy srv: the kernel\'s server phase (last request byte -> first response byte, client socket)\n'
      + 'minus proxy srv for the same request: the tracer\'s error against ground truth. joined: samples with both.\n'
      + 'client: first request issued -> body read, as the prober reports it; prepare: the SDK\'s work before that request.');
  }
  if (res.scale) {
    table(`3. Scale (${res.scale.intervalSeconds} s interval, prober on one core; figures over the steady-state window)`,
      ['targets', 'cycles', 'skipped', 'ops', 'CPU core', 'CPU ms/cycle', 'RSS MB', 'peak RSS', 'ELD p99 ms', 'drift p50/p99 ms', 'cycle p50 s', 'fail'],
      (res.scale.rows as R[]).map((r): unknown[] => [r.targets, r.cycles, r.cyclesSkipped, r.ops, f(r.cpuCoreFraction, 3), f(r.cpuMsPerCycle, 1), f(r.rssMb, 1), f(r.peakRssMb, 1),
        f(r.eventLoopDelayMs.p99, 1), `${f(r.driftMs.p50, 1)}/${f(r.driftMs.p99, 1)}`, f(r.cycleSeconds.p50, 3), r.failures]));
    if (res.scale.linear) console.log(`CPU per cycle ${res.scale.linear.to} vs ${res.scale.linear.from} targets: ${f(res.scale.linear.cpuMsPerCycleRatio, 2)}x`);
  }
  if (res.scrape) {
    const s = res.scrape;
    // inside the exporter: request parsed -> last byte handed to the socket (bench/worker.ts)
    const server = (k: R, enc: string) => {
      const xs = (k.whileScraped?.serverMs?.[enc] ?? []) as number[];
      const later = dist(xs.slice(1));
      return xs.length ? `${f(xs[0]!, 1)} | ${f(later.p50, 1)} / ${f(later.max, 1)}` : 'n/a';
    };
    const rows = (cycles: string, k: R) => [
      [cycles, 'Prometheus (OpenMetrics, gzip)', k.scrapes, f(k.firstMs, 1), f(k.latencyMs.p50, 1), f(k.latencyMs.max, 1), server(k, 'gzip'), k.bytes.p50, k.series],
      [cycles, 'curl (text, identity)', k.plain.scrapes, f(k.plain.firstMs, 1), f(k.plain.latencyMs.p50, 1), f(k.plain.latencyMs.max, 1), server(k, 'identity'), k.plain.bytes.p50, k.series],
    ];
    table(`4. Scrape /metrics with ${s.targets} targets (one every ${s.everyMs / 1000} s, alternating; first scrape of each kind apart)`,
      ['cycles', 'scraper', 'scrapes', 'first ms', 'p50 ms', 'max ms', 'in exporter: first | p50 / max ms', 'bytes', 'series'],
      [...rows('every 10 s', s), ...(s.minute ? rows('every 60 s', s.minute) : [])]);
    const eldWhile = (k: R | undefined) => (k?.whileScraped?.eventLoopDelayMs ? `${f(k.whileScraped.eventLoopDelayMs.p99, 1)} ms` : 'n/a');
    console.log(`event-loop delay p99 while scraped: 10 s cycles ${eldWhile(s)}, 60 s cycles ${eldWhile(s.minute)}`);
    const gcWhile = (k: R | undefined) => {
      const g = k?.whileScraped?.gc;
      return g ? `major ${g.major.n} pauses, ${f(g.major.totalMs, 0)} ms, longest ${f(g.major.maxMs, 0)} ms; minor ${g.minor.n}, ${f(g.minor.totalMs, 0)} ms, longest ${f(g.minor.maxMs, 0)} ms` : 'n/a';
    };
    console.log(`GC while scraped: 10 s cycles ${gcWhile(s)}; 60 s cycles ${gcWhile(s.minute)}`);
    const cpu = (k: R | undefined) => (k?.whileScraped ? `${f(k.whileScraped.cpuCoreFraction, 3)} core, ${f(k.whileScraped.cpuMsPerCycle, 1)} ms/cycle` : 'n/a');
    console.log(`prober CPU while scraped: 10 s cycles ${cpu(s)} (unscraped: ${s.whileScraped ? `${f(s.whileScraped.unscraped.cpuCoreFraction, 3)} core, ${f(s.whileScraped.unscraped.cpuMsPerCycle, 1)} ms/cycle` : 'n/a'}); 60 s cycles ${cpu(s.minute)}`);
  }
  if (res.throughput) {
    table(`5. Tracer throughput (tracer ${res.throughput.tracerUp ? 'up' : 'DOWN'}; echo server, 4 KiB)`, ['client', 'conc', 'ops/s', 'CPU core', 'events', 'dropped', 'unmatched', 'ELD p99 ms'],
      (res.throughput.steps as R[]).map((s): unknown[] => [s.client, s.concurrency, f(s.opsPerSecond, 0), f(s.cpuCoreFraction, 2), s.events, s.dropped, s.unmatched, f(s.eventLoopDelayMs.p99, 1)]));
  }
  if (res.soak) {
    const s = res.soak;
    table(`Soak: ${s.cycles} cycles (${s.cyclesRequested} requested), ${s.targets} targets, faults at random`,
      ['figure', 'value'], [
        ['duration to N cycles (s)', f(s.secondsToN, 0)], ['ops measured', s.opsMeasured], ['failures (injected)', s.failures], ['cycles skipped', s.cyclesSkipped],
        ['RSS warm-up -> end (MB)', `${f(s.warm.rssMb, 1)} -> ${f(s.end.rssMb, 1)} (${f(s.rssGrowthMb, 1)})`],
        ['heap warm-up -> end (MB)', `${f(s.warm.heapMb, 1)} -> ${f(s.end.heapMb, 1)} (${f(s.heapGrowthMb, 1)})`],
        ['RSS trend over the measured cycles (MB)', `${f(s.rssTrendGrowthMb, 1)} (${f(s.rssTrendSlopeMbPerHour, 1)} MB/h); heap ${f(s.heapTrendGrowthMb, 1)}`],
        ['fds start/warm/end/max/after stop', `${s.fds.beforeStart}/${s.fds.warm}/${s.fds.end}/${s.fds.max}/${s.fds.afterStop}`],
        ['event-loop delay p50/p99/max (ms)', `${f(s.eventLoopDelayMs.p50, 1)}/${f(s.eventLoopDelayMs.p99, 1)}/${f(s.eventLoopDelayMs.max, 1)}`],
        ['leftovers gauge / buckets / objects / uploads', `${s.leftovers.exporterGauge}/${s.leftovers.bucketsInStore}/${s.leftovers.objectsInStore}/${s.leftovers.uploadsInStore}`],
        ['failures by reason', Object.entries(s.reasons as R).map(([k, n]) => `${k}=${n}`).join(' ')],
      ]);
  }
  table('Targets', ['target', 'value', 'met'], (res.verdicts as Verdict[]).map((x) => [x.target, x.value, x.met === null ? 'n/a' : x.met ? 'yes' : 'NO']));
}

// ---- main --------------------------------------------------------------------------------------
async function main(): Promise<void> {
  const started = Date.now();
  const res: R = { kind: SOAK ? 'soak' : 'bench', at: new Date().toISOString(), quick: QUICK, command: `node dist/bench/run.js ${process.argv.slice(2).join(' ')}`.trim(), machine: machine() };
  try {
    res.gitCommit = execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch { /* not a checkout */ }
  const ext = args.endpoint ?? process.env.S3PROBER_BENCH_ENDPOINT;
  let rgw: S3Endpoint;
  if (ext) {
    rgw = { endpoint: ext, accessKeyId: process.env.S3PROBER_BENCH_ACCESS_KEY ?? 'bench', secretAccessKey: process.env.S3PROBER_BENCH_SECRET_KEY ?? 'bench-secret' };
    log(`using the RGW at ${ext}`);
  } else {
    log('starting the bench RGW (.work/rgw-bench, 127.0.0.1:27480)');
    const own = startBenchRgw(layout.servers);
    const stop = () => { own.stop(); process.exit(130); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    rgw = own;
  }
  res.rgw = rgw.endpoint;
  if (SOAK) {
    res.soak = await soak(rgw);
  } else {
    if (SECTIONS.has('cost')) res.cost = await sectionCost(rgw);
    if (SECTIONS.has('truth')) res.truth = await sectionTruth(rgw);
    if (SECTIONS.has('scale') || SECTIONS.has('scrape')) Object.assign(res, await sectionScale(rgw, SECTIONS.has('scale'), SECTIONS.has('scrape')));
    if (SECTIONS.has('throughput')) res.throughput = await sectionThroughput();
  }
  res.machine.loadavgAtEnd = loadavg().map((x) => round(x, 2));
  res.seconds = (Date.now() - started) / 1000;
  res.verdicts = verdicts(res);
  print(res);
  const out = args.out ?? path.join(RESULTS, SOAK ? 'soak-latest.json' : 'latest.json');
  const body = `${JSON.stringify(res, null, 2)}\n`;
  writeFileSync(out, body);
  if (!args.out) writeFileSync(path.join(RESULTS, `${res.kind}-${res.at.replace(/[:.]/g, '-')}.json`), body);
  console.log(`\nwritten to ${out} (${f(res.seconds, 0)} s)`);
}

main().then(() => process.exit(0), (e: Error) => {
  console.error(`bench: FAILED: ${e.stack ?? e.message}`);
  process.exit(1);
});
