// The benchmark harness in its tiny --quick mode against the test RGW, so that it never rots.
// It checks the structure and sanity of what the harness reports (every section there, numbers
// finite and positive), never how fast anything was: figures belong to the bench, not to tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProc } from '../support/proc.js';
import { REPO_ROOT, testRgw } from '../support/rgw.js';

// biome-ignore lint/suspicious/noExplicitAny: the harness's JSON, read field by field
type J = Record<string, any>;

const positive = (x: unknown, what: string) => assert.ok(typeof x === 'number' && Number.isFinite(x) && x > 0, `${what} = ${String(x)}`);
const finite = (x: unknown, what: string) => assert.ok(typeof x === 'number' && Number.isFinite(x) && x >= 0, `${what} = ${String(x)}`);

test('npm run bench -- --quick: every section, sane figures, table and JSON', async () => {
  const rgw = testRgw();
  const dir = mkdtempSync(join(tmpdir(), 's3prober-bench-'));
  try {
    const out = join(dir, 'quick.json');
    const r = await runProc(process.execPath, [join(REPO_ROOT, 'dist/bench/run.js'), '--quick', '--out', out], {
      env: { ...process.env, S3PROBER_BENCH_ENDPOINT: rgw.endpoint, S3PROBER_BENCH_ACCESS_KEY: rgw.accessKeyId, S3PROBER_BENCH_SECRET_KEY: rgw.secretAccessKey },
      timeoutMs: 180_000,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const title of ['1. Cost per operation', '2. Truth', '3. Scale', 'Scale over shards', '4. Scrape', '5. Tracer throughput', 'Targets']) {
      assert.ok(r.stdout.includes(title), `table "${title}" missing:\n${r.stdout}`);
    }
    const j = JSON.parse(readFileSync(out, 'utf8')) as J;
    assert.equal(j.kind, 'bench');
    assert.equal(j.quick, true);
    positive(j.machine.nproc, 'machine.nproc');
    assert.ok(j.machine.kernel && j.machine.node && j.machine.cpuModel);

    // 1. cost: tracer off and on in their own processes
    for (const mode of ['off', 'on']) {
      const c = j.cost[mode];
      positive(c.ops, `cost.${mode}.ops`);
      positive(c.cpuSecondsPer1000Ops, `cost.${mode}.cpuSecondsPer1000Ops`);
      positive(c.peakRssMb, `cost.${mode}.peakRssMb`);
      assert.equal(c.failures, 0, `cost.${mode}: operations failed against a healthy RGW`);
    }
    positive(j.cost.cpuRatioOnOff, 'cost.cpuRatioOnOff');
    const tracerUp = j.cost.on.tracerUp === true;

    // 2. truth: one row per delay and operation, wire figures whenever the tracer is up
    assert.deepEqual(j.truth.perDelay.map((d: J): unknown => d.delayMs), [0, 10]);
    for (const d of j.truth.perDelay) {
      for (const op of ['GetObject', 'PutObject']) {
        const x = d.ops[op];
        assert.equal(x.samples, 10);
        positive(x.clientMinusDMs.p50 + d.delayMs, `truth D=${d.delayMs} ${op} client`);
        if (tracerUp) {
          assert.equal(x.wireJoined, 10, `truth D=${d.delayMs} ${op}: every request joined to the wire`);
          positive(x.serverPhaseMs.p50, `truth D=${d.delayMs} ${op} server phase`);
          finite(x.clientOverWireMs.p99, `truth D=${d.delayMs} ${op} client over wire`);
          // the proxy's delay shows up in the kernel's server phase
          if (d.delayMs > 0) assert.ok(x.serverPhaseMs.p50 >= d.delayMs, `server phase ${x.serverPhaseMs.p50} ms < D ${d.delayMs}`);
        }
      }
    }

    // 3. scale: a row per target count, cycles ran, drift and loop delay measured
    assert.deepEqual(j.scale.rows.map((x: J): unknown => x.targets), [1, 3]);
    for (const x of j.scale.rows) {
      positive(x.cycles, `scale ${x.targets}: cycles`);
      positive(x.cpuSeconds, `scale ${x.targets}: cpu`);
      positive(x.rssMb, `scale ${x.targets}: rss`);
      finite(x.driftMs.p99, `scale ${x.targets}: drift p99`);
      finite(x.eventLoopDelayMs.p99, `scale ${x.targets}: event-loop delay p99`);
      positive(x.driftMs.n, `scale ${x.targets}: drift samples (one per cycle start)`);
    }

    // 3b. scale over shards: one config, every target probed by exactly the shard its name hashes to,
    // each shard in its own process on its own core; a core shared with the servers is said
    const sh = j.scaleSharded;
    assert.ok(Number.isInteger(sh.shards) && sh.shards >= 2, `shards = ${sh.shards}`);
    assert.deepEqual(sh.rows.map((x: J): unknown => x.shard), Array.from({ length: sh.shards }, (_, index) => ({ index, count: sh.shards })));
    assert.equal(sh.all.targetsProbed, sh.all.targets);
    assert.equal(sh.all.disjointAndComplete, true);
    for (const x of sh.rows) {
      const who = `scale-sharded shard ${x.shard.index}`;
      assert.equal(x.targetsProbed, x.expectedTargets, `${who}: probes the targets its hashmod gives it`);
      assert.equal(x.targets, sh.all.targets, `${who}: the whole config loaded`);
      positive(x.cpuSeconds, `${who}: cpu`);
      positive(x.rssMb, `${who}: rss`);
      finite(x.eventLoopDelayMs.p99, `${who}: event-loop delay p99`);
      if (x.targetsProbed > 0) {
        positive(x.cycles, `${who}: cycles`);
        positive(x.driftMs.n, `${who}: drift samples`);
        finite(x.driftMs.p99, `${who}: drift p99`);
      }
      if (sh.pinned) {
        assert.ok(Number.isInteger(x.core), `${who}: pinned to a core`);
        // a shard on one of the servers' cores is never passed off as having its core alone
        if (sh.serverCores.includes(x.core)) assert.ok(x.sharesWith.length > 0, `${who}: on server core ${x.core}, sharing not said`);
      }
      assert.equal(sh.shared.some((s: J) => s.shard === x.shard.index), x.sharesWith.length > 0, `${who}: shared list`);
    }
    if (sh.pinned && sh.shards <= j.machine.nproc) assert.equal(new Set(sh.rows.map((x: J): unknown => x.core)).size, sh.shards, 'a core per shard');
    for (const k of ['cycles', 'ops', 'cpuSeconds', 'rssMb']) assert.equal(sh.all[k], sh.rows.reduce((a: number, x: J) => a + (x[k] as number), 0), `scale-sharded all.${k} = the shards' sum`);
    assert.equal(sh.all.driftMs.n, sh.rows.reduce((a: number, x: J) => a + (x.driftMs.n as number), 0), 'combined drift over every shard\'s samples');
    finite(sh.all.driftMs.p99, 'scale-sharded: drift p99 over all shards');
    for (const s of sh.shared) assert.ok(r.stdout.includes(`shard ${s.shard} shares core ${s.core}`), `shared core of shard ${s.shard} not in the table`);
    const shardVerdict = j.verdicts.find((v: J) => v.target === `drift p99 < 100 ms at ${sh.all.targets} targets over ${sh.shards} shards`);
    assert.ok(shardVerdict && shardVerdict.met !== null, 'the sharded drift verdict, with a figure');
    if (sh.shared.length) assert.match(shardVerdict.value, /shares core .*pessimistic/);

    // 4. scrape of the largest run
    assert.deepEqual(j.scrape.status, [200]);
    positive(j.scrape.latencyMs.p50, 'scrape latency');
    positive(j.scrape.bytes.p50, 'scrape size');
    assert.ok(j.scrape.series > 100, `only ${j.scrape.series} series`);
    // scraped as Prometheus does (gzip) and as curl does: the same exposition, compressed or not
    assert.deepEqual(j.scrape.plain.status, [200]);
    assert.ok(j.scrape.bytes.p50 * 3 < j.scrape.plain.bytes.p50, `gzip ${j.scrape.bytes.p50} B vs plain ${j.scrape.plain.bytes.p50} B`);

    // 5. tracer throughput: SDK and bare HTTP steps
    assert.equal(j.throughput.steps.length, 4);
    for (const s of j.throughput.steps) {
      positive(s.opsPerSecond, `throughput ${s.client} x${s.concurrency}`);
      if (tracerUp) positive(s.events, `throughput ${s.client} x${s.concurrency} kernel events`);
    }

    // verdicts: one per target of issue 6, each with a value
    assert.ok(j.verdicts.length >= 8);
    for (const v of j.verdicts) assert.ok(typeof v.target === 'string' && typeof v.value === 'string' && 'met' in v);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm run bench -- peer --quick: the peer and s3prober side by side, ratios and verdicts', async () => {
  const rgw = testRgw();
  const dir = mkdtempSync(join(tmpdir(), 's3prober-bench-peer-'));
  try {
    const out = join(dir, 'peer.json');
    const r = await runProc(process.execPath, [join(REPO_ROOT, 'dist/bench/run.js'), 'peer', '--quick', '--out', out], {
      env: { ...process.env, S3PROBER_BENCH_ENDPOINT: rgw.endpoint, S3PROBER_BENCH_ACCESS_KEY: rgw.accessKeyId, S3PROBER_BENCH_SECRET_KEY: rgw.secretAccessKey },
      timeoutMs: 300_000,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.stdout.includes('Against the peer'), r.stdout);
    const j = JSON.parse(readFileSync(out, 'utf8')) as J;
    assert.equal(j.kind, 'peer');
    assert.deepEqual(j.peer.rows.map((x: J): unknown => [x.targets, x.ebpf]), [[1, false], [1, true]]);
    // one group: the peer, tracer off and tracer on at the same time
    assert.deepEqual(j.peer.groups.map((g: J): unknown => g.members), [['peer', 'off', 'on']]);
    for (const g of j.peer.groups) {
      for (const who of g.members) {
        const f = g.figures[who];
        positive(f.cpuMsPerRequest, `${who}.cpuMsPerRequest`);
        positive(f.requestsPerSecond, `${who}.requestsPerSecond`);
        positive(f.peakRssMb, `${who}.peakRssMb`);
        positive(f.peakAnonMb, `${who}.peakAnonMb`);
        assert.equal(f.cpuMsPerWindow.length, 2, `${who}: a figure per window`);
      }
    }
    for (const row of j.peer.rows) positive(row.cpuRatio, `cpuRatio, tracer ${row.ebpf ? 'on' : 'off'}`);
    assert.equal(j.peer.tracer.length, 1);
    positive(j.peer.tracer[0].cpuRatio, 'the tracer\'s same-time cost');
    assert.equal(j.peer.tracer[0].windows, 2);
    assert.ok(r.stdout.includes("The tracer's cost"), r.stdout);
    for (const v of j.verdicts) assert.notEqual(v.met, null, `${v.target}: no figure`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
