// A run's result as tables on stdout, one per section, then the targets met.
import type { R } from './harness.js';
import { describeForm, dist, fmt } from './lib.js';
import type { RssBreakdown } from './rss-breakdown.js';
import type { Verdict } from './verdicts.js';

function table(title: string, head: string[], rows: (string | number)[][]): void {
  const all = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  console.log(`\n${title}`);
  for (const [i, r] of all.entries()) {
    console.log(r.map((c, j) => c.padStart(w[j]!)).join('  '));
    if (i === 0) console.log(w.map((n) => '-'.repeat(n)).join('  '));
  }
}

export function print(res: R): void {
  if (res.cost) {
    const c = res.cost;
    const how = c.form === 'tsc' ? "node's defaults" : `as started: ${describeForm({ env: c.env ?? {}, nodeArgs: c.nodeArgs ?? [] })}`;
    table(`1. Cost per operation (10 targets, 4 KiB objects, cycles every second; ${how})`, ['tracer', 'ops', 'ops/s', 'CPU s/1000 ops', 'peak RSS MB', 'failures'],
      [['off', c.off.ops, fmt(c.off.opsPerSecond, 0), fmt(c.off.cpuSecondsPer1000Ops, 3), fmt(c.off.peakRssMb, 1), c.off.failures],
        ...(c.on ? [[`on${c.on.tracerUp ? '' : ' (DOWN)'}`, c.on.ops, fmt(c.on.opsPerSecond, 0), fmt(c.on.cpuSecondsPer1000Ops, 3), fmt(c.on.peakRssMb, 1), c.on.failures]] : [])]);
    console.log(`CPU ratio on/off: ${fmt(c.cpuRatioOnOff, 3)}`);
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
        const pp = (k: string) => `${fmt(x[k]?.p50)}/${fmt(x[k]?.p99)}`;
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
      // biome-ignore lint/nursery/noUnsafeReturn: the workers' JSON rows, printed as they are
      (res.scale.rows as R[]).map((r): (string | number)[] => [r.targets, r.cycles, r.cyclesSkipped, r.ops, fmt(r.cpuCoreFraction, 3), fmt(r.cpuMsPerCycle, 1), fmt(r.rssMb, 1), fmt(r.peakRssMb, 1),
        fmt(r.eventLoopDelayMs.p99, 1), `${fmt(r.driftMs.p50, 1)}/${fmt(r.driftMs.p99, 1)}`, fmt(r.cycleSeconds.p50, 3), r.failures]));
    if (res.scale.linear) console.log(`CPU per cycle ${res.scale.linear.to} vs ${res.scale.linear.from} targets: ${fmt(res.scale.linear.cpuMsPerCycleRatio, 2)}x`);
  }
  if (res.scrape) {
    const s = res.scrape;
    // inside the exporter: request parsed -> last byte handed to the socket (bench/modes/scrape-observers.ts)
    const server = (k: R, enc: string) => {
      const xs = (k.whileScraped?.serverMs?.[enc] ?? []) as number[];
      const later = dist(xs.slice(1));
      return xs.length ? `${fmt(xs[0]!, 1)} | ${fmt(later.p50, 1)} / ${fmt(later.max, 1)}` : 'n/a';
    };
    const rows = (cycles: string, k: R) => [
      [cycles, 'Prometheus (OpenMetrics, gzip)', k.scrapes, fmt(k.firstMs, 1), fmt(k.latencyMs.p50, 1), fmt(k.latencyMs.max, 1), server(k, 'gzip'), k.bytes.p50, k.series],
      [cycles, 'curl (text, identity)', k.plain.scrapes, fmt(k.plain.firstMs, 1), fmt(k.plain.latencyMs.p50, 1), fmt(k.plain.latencyMs.max, 1), server(k, 'identity'), k.plain.bytes.p50, k.series],
    ];
    table(`4. Scrape /metrics with ${s.targets} targets (one every ${s.everyMs / 1000} s, alternating; first scrape of each kind apart)`,
      ['cycles', 'scraper', 'scrapes', 'first ms', 'p50 ms', 'max ms', 'in exporter: first | p50 / max ms', 'bytes', 'series'],
      [...rows('every 10 s', s), ...(s.minute ? rows('every 60 s', s.minute) : [])]);
    const eldWhile = (k: R | undefined) => (k?.whileScraped?.eventLoopDelayMs ? `${fmt(k.whileScraped.eventLoopDelayMs.p99, 1)} ms` : 'n/a');
    console.log(`event-loop delay p99 while scraped: 10 s cycles ${eldWhile(s)}, 60 s cycles ${eldWhile(s.minute)}`);
    const gcWhile = (k: R | undefined) => {
      const g = k?.whileScraped?.gc;
      return g ? `major ${g.major.n} pauses, ${fmt(g.major.totalMs, 0)} ms, longest ${fmt(g.major.maxMs, 0)} ms; minor ${g.minor.n}, ${fmt(g.minor.totalMs, 0)} ms, longest ${fmt(g.minor.maxMs, 0)} ms` : 'n/a';
    };
    console.log(`GC while scraped: 10 s cycles ${gcWhile(s)}; 60 s cycles ${gcWhile(s.minute)}`);
    const cpu = (k: R | undefined) => (k?.whileScraped ? `${fmt(k.whileScraped.cpuCoreFraction, 3)} core, ${fmt(k.whileScraped.cpuMsPerCycle, 1)} ms/cycle` : 'n/a');
    console.log(`prober CPU while scraped: 10 s cycles ${cpu(s)} (unscraped: ${s.whileScraped ? `${fmt(s.whileScraped.unscraped.cpuCoreFraction, 3)} core, ${fmt(s.whileScraped.unscraped.cpuMsPerCycle, 1)} ms/cycle` : 'n/a'}); 60 s cycles ${cpu(s.minute)}`);
  }
  if (res.scaleSharded) {
    const s = res.scaleSharded;
    // biome-ignore lint/nursery/noUnsafeReturn: the workers' JSON rows, printed as they are
    const row = (who: string, core: string, r: R): (string | number)[] => [who, core, r.targetsProbed, r.cycles, r.cyclesSkipped, r.ops, fmt(r.cpuCoreFraction, 3), fmt(r.cpuMsPerCycle, 1),
      fmt(r.rssMb, 1), fmt(r.peakRssMb, 1), fmt(r.eventLoopDelayMs.p99, 1), `${fmt(r.driftMs.p50, 1)}/${fmt(r.driftMs.p99, 1)}`, fmt(r.cycleSeconds.p50, 3), r.failures];
    table(`Scale over shards (${s.all.targets} targets, ${s.shards} shards of one config, run --shard i/${s.shards}; ${s.intervalSeconds} s interval; all: sums, drift over every shard's cycles)`,
      ['shard', 'core', 'targets', 'cycles', 'skipped', 'ops', 'CPU core', 'CPU ms/cycle', 'RSS MB', 'peak RSS', 'ELD p99 ms', 'drift p50/p99 ms', 'cycle p50 s', 'fail'],
      [...(s.rows as R[]).map((r) => row(`${r.shard.index}/${r.shard.count}`, r.core === undefined ? '-' : `${r.core}${r.sharesWith.length ? '*' : ''}`, r)), row('all', '', s.all)]);
    if (!s.pinned) console.log('shards not pinned (no taskset, one core, or S3PROBER_BENCH_NO_PIN=1): they share whatever cores the kernel gives them');
    for (const x of s.shared as R[]) {
      console.log(`* shard ${x.shard} shares core ${x.core} with ${(x.with as string[]).join(' and ')}`
        + ` (${res.machine.nproc} cores for ${s.shards} shards and the servers): its figures and the combined ones are pessimistic`);
    }
    if (!s.rgwPlacedByBench) console.log('RGW at --endpoint: not placed by the bench, it may share any shard\'s core');
    if (!s.all.disjointAndComplete) console.log(`NOT every target probed by exactly one shard: ${s.all.targetsProbed} probed of ${s.all.targets}`);
    const one = (res.scale?.rows as R[] | undefined)?.find((r) => r.targets === s.all.targets);
    if (one) console.log(`one process (section 3), ${one.targets} targets: drift p50/p99 ${fmt(one.driftMs.p50, 1)}/${fmt(one.driftMs.p99, 1)} ms, ${fmt(one.cpuMsPerCycle, 1)} CPU ms/cycle, ${one.cyclesSkipped} skipped`);
  }
  if (res.throughput) {
    table(`5. Tracer throughput (tracer ${res.throughput.tracerUp ? 'up' : 'DOWN'}; echo server, 4 KiB)`, ['client', 'conc', 'ops/s', 'CPU core', 'events', 'dropped', 'unmatched', 'ELD p99 ms'],
      // biome-ignore lint/nursery/noUnsafeReturn: the workers' JSON rows, printed as they are
      (res.throughput.steps as R[]).map((s): (string | number)[] => [s.client, s.concurrency, fmt(s.opsPerSecond, 0), fmt(s.cpuCoreFraction, 2), s.events, s.dropped, s.unmatched, fmt(s.eventLoopDelayMs.p99, 1)]));
  }
  if (res.soak) {
    const s = res.soak;
    table(`Soak: ${s.cycles} cycles (${s.cyclesRequested} requested), ${s.targets} targets, faults at random`,
      ['figure', 'value'], [
        ['duration to N cycles (s)', fmt(s.secondsToN, 0)], ['ops measured', s.opsMeasured], ['failures (injected)', s.failures], ['cycles skipped', s.cyclesSkipped],
        ['RSS warm-up -> end (MB)', `${fmt(s.warm.rssMb, 1)} -> ${fmt(s.end.rssMb, 1)} (${fmt(s.rssGrowthMb, 1)})`],
        ['heap warm-up -> end (MB)', `${fmt(s.warm.heapMb, 1)} -> ${fmt(s.end.heapMb, 1)} (${fmt(s.heapGrowthMb, 1)})`],
        ['RSS trend over the measured cycles (MB)', `${fmt(s.rssTrendGrowthMb, 1)} (${fmt(s.rssTrendSlopeMbPerHour, 1)} MB/h); heap ${fmt(s.heapTrendGrowthMb, 1)}`],
        ['fds start/warm/end/max/after stop', `${s.fds.beforeStart}/${s.fds.warm}/${s.fds.end}/${s.fds.max}/${s.fds.afterStop}`],
        ['event-loop delay p50/p99/max (ms)', `${fmt(s.eventLoopDelayMs.p50, 1)}/${fmt(s.eventLoopDelayMs.p99, 1)}/${fmt(s.eventLoopDelayMs.max, 1)}`],
        ['leftovers gauge / buckets / objects / uploads', `${s.leftovers.exporterGauge}/${s.leftovers.bucketsInStore}/${s.leftovers.objectsInStore}/${s.leftovers.uploadsInStore}`],
        ['failures by reason', Object.entries(s.reasons as R).map(([k, n]) => `${k}=${n}`).join(' ')],
      ]);
  }
  if (res.peer) {
    table(`Against the peer (seed blog's boto3 + prometheus_client loop), same core, same time, 4 KiB, a cycle per target a second; node ${res.peer.nodeVersion}`,
      ['targets', 'tracer', 'runs', 'CPU ms/req s3prober | peer', 'CPU ratio', 'peak RSS MB s3prober | peer', 'RSS ratio', 'anon RSS ratio', 'req/s s3prober | peer'],
      // biome-ignore lint/nursery/noUnsafeReturn: the section's JSON rows, printed as they are
      (res.peer.rows as R[]).map((r): (string | number)[] => [r.targets, r.ebpf ? 'on' : 'off', r.runs, `${fmt(r.proberCpuMsPerRequest, 3)} | ${fmt(r.peerCpuMsPerRequest, 3)}`, fmt(r.cpuRatio, 3),
        `${fmt(r.proberPeakRssMb, 1)} | ${fmt(r.peerPeakRssMb, 1)}`, fmt(r.peakRssRatio, 2), fmt(r.anonRssRatio, 2), `${fmt(r.proberRequestsPerSecond, 1)} | ${fmt(r.peerRequestsPerSecond, 1)}`]));
    table('The tracer\'s cost: s3prober with the tracer on over off, CPU per request in the same windows',
      ['targets', 'on / off (median)', 'min-max', 'windows'],
      // biome-ignore lint/nursery/noUnsafeReturn: the section's JSON rows, printed as they are
      ((res.peer.tracer ?? []) as R[]).map((t): (string | number)[] => [t.targets, fmt(t.cpuRatio, 3), `${fmt(t.cpuRatioMin, 3)}-${fmt(t.cpuRatioMax, 3)}`, t.windows]));
  }
  table('Targets', ['target', 'value', 'met'], (res.verdicts as Verdict[]).map((x) => [x.target, x.value, x.met === null ? 'n/a' : x.met ? 'yes' : 'NO']));
}
