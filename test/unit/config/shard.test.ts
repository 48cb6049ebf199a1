// Shards: --shard INDEX/COUNT and ordinal/COUNT parse or fail with a usage error, every name falls
// in exactly one shard, and the shard of a name is the one Prometheus' own relabel hashmod gives.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import { inShard, narrowToShard, parseShard, shardOf } from '../../../src/config/shard.js';
import { CLI } from '../../support/exporter.js';
import { runProc, spawnProc } from '../../support/proc.js';
import { freePort } from '../../support/rgw.js';
import { waitFor } from '../../support/deploy/lib.js';

const dir = mkdtempSync(join(tmpdir(), 's3prober-shard-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const names = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? `ceph-${i}` : i % 3 === 1 ? `aws.eu-west-${i}` : `rgw_${i}:zone`));

test('INDEX/COUNT and ordinal/COUNT parse', () => {
  assert.deepEqual(parseShard('0/1'), { index: 0, count: 1 });
  assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
  assert.deepEqual(parseShard(' 1 / 4 '), { index: 1, count: 4 });
  assert.deepEqual(parseShard('ordinal/3', 's3prober-2'), { index: 2, count: 3 });
  assert.deepEqual(parseShard('ordinal/12', 'probe-eu-west-1-11'), { index: 11, count: 12 });
});

test('bad shard specs say what is wrong and what is expected', () => {
  const cases: [string, string, RegExp][] = [
    ['3/3', 'h', /INDEX must be below COUNT/],
    ['-1/3', 'h', /INDEX must be a whole number or "ordinal"/],
    ['a/3', 'h', /INDEX must be a whole number/],
    ['1.5/3', 'h', /INDEX must be a whole number/],
    ['0/0', 'h', /COUNT must be a whole number from 1/],
    ['0/x', 'h', /COUNT must be a whole number/],
    ['1', 'h', /not of the form INDEX\/COUNT/],
    ['1/2/3', 'h', /not of the form INDEX\/COUNT/],
    ['', 'h', /not of the form/],
    ['ordinal/3', 'worker', /host name "worker" does not end in -N/],
    ['ordinal/3', 's3prober-3', /pod ordinal 3 \(host s3prober-3\) is not below COUNT 3/],
  ];
  for (const [spec, host, why] of cases) {
    assert.throws(() => parseShard(spec, host), (e: Error) => {
      assert.match(e.message, why, spec);
      assert.match(e.message, /expected INDEX\/COUNT \(0 <= INDEX < COUNT\), or ordinal\/COUNT/, spec);
      return true;
    });
  }
});

test('every name is in exactly one shard, and the shards are stable and all used', () => {
  for (const count of [1, 2, 3, 5]) {
    const sizes = new Array<number>(count).fill(0);
    for (const n of names) {
      const owners = Array.from({ length: count }, (_, index) => index).filter((index) => inShard(n, { index, count }));
      assert.deepEqual(owners, [shardOf(n, count)], `${n} of ${count}`);
      sizes[owners[0]!]!++;
    }
    assert.ok(sizes.every((s) => s > 0), `every one of ${count} shards gets some of ${names.length} names: ${sizes}`);
  }
});

test("a name's shard is the one Prometheus' relabel hashmod gives it", async () => {
  // Prometheus computes hashmod of a label for each scrape target; /api/v1/targets shows the result.
  const moduli = [2, 3, 5];
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), stringify({
    global: { scrape_interval: '1h' },
    scrape_configs: moduli.map((m) => ({
      job_name: `mod${m}`,
      static_configs: names.map((n) => ({ targets: ['127.0.0.1:1'], labels: { s3target: n } })),
      relabel_configs: [{ source_labels: ['s3target'], action: 'hashmod', modulus: m, target_label: 'shard' }],
    })),
  }));
  const prom = spawnProc('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`]);
  try {
    await prom.waitForUrl(`http://127.0.0.1:${port}/-/ready`, 30_000);
    type Targets = { data: { activeTargets: { labels: Record<string, string> }[] } };
    const active = await waitFor('every target discovered', async () => {
      const r = (await (await fetch(`http://127.0.0.1:${port}/api/v1/targets`)).json()) as Targets;
      return r.data.activeTargets.length === names.length * moduli.length ? r.data.activeTargets : undefined;
    }, 30_000);
    for (const t of active) {
      const m = Number(t.labels.job!.slice('mod'.length));
      assert.equal(shardOf(t.labels.s3target!, m), Number(t.labels.shard), `${t.labels.s3target} mod ${m}`);
    }
  } finally {
    await prom.kill();
  }
});

test('run rejects a bad --shard or S3PROBER_SHARD before starting, naming the option', async () => {
  const flag = await runProc(process.execPath, [CLI, 'run', '--shard', '3/3'], { timeoutMs: 30_000 });
  assert.notEqual(flag.code, 0);
  assert.match(flag.stderr, /--shard <index\/count>.*'3\/3' is invalid/);
  assert.match(flag.stderr, /INDEX must be below COUNT/);
  const env = await runProc(process.execPath, [CLI, 'run'], { env: { ...process.env, S3PROBER_SHARD: 'ordinal/2', HOSTNAME: 'prober' }, timeoutMs: 30_000 });
  assert.notEqual(env.code, 0);
  assert.match(env.stderr, /S3PROBER_SHARD/);
  assert.match(env.stderr, /host name "prober" does not end in -N/);
});

test('a shard takes its targets and the replications of its sources, whose destinations may be elsewhere', () => {
  const names = Array.from({ length: 12 }, (_, i) => `t${i}`);
  const target = (name: string) => ({ name, endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const replication = names.map((n, i) => ({ name: `r${i}`, source: n, destination: names[(i + 1) % names.length]!, bucket: 'replicated' }));
  const loaded = parseConfig(JSON.stringify({ targets: names.map(target), replication }));
  const shards = [0, 1, 2].map((index) => narrowToShard(loaded, { index, count: 3 }));
  assert.deepEqual(shards.flatMap((c) => c.targets.map((t) => t.name)).sort(), [...names].sort(), 'every target in exactly one shard');
  assert.deepEqual(shards.flatMap((c) => c.replication.map((r) => r.name)).sort(), replication.map((r) => r.name).sort(), 'every replication in exactly one shard');
  for (const [index, c] of shards.entries()) {
    for (const r of c.replication) assert.ok(inShard(r.source, { index, count: 3 }), `${r.name} runs with its source`);
  }
  assert.ok(shards.some((c) => c.replication.some((r) => !c.targets.some((t) => t.name === r.destination))), 'some destination is another shard\'s');
  assert.equal(narrowToShard(loaded, undefined), loaded);
});
