// Shards against the test RGW: two and then three `run --shard I/N` exporters over one 10-target
// config probe disjoint sets whose union is the config (read from each /metrics), each the names
// hashmod gives it. Then a real Prometheus scrapes the three with the shipped shard alerts
// (`for:` shortened by withShortFor): complete coverage raises nothing; a shard stopped raises
// S3ProberShardCoverageGap for exactly its targets; a second process of one shard raises
// S3ProberShardCoverageOverlap for exactly that shard's targets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shardOf } from '../../src/config/shard.js';
import { SHARD_METRICS } from '../../src/metrics/names.js';
import { startExporter, type Exporter } from '../support/exporter.js';
import { repoPath, waitFor } from '../support/deploy/lib.js';
import { startPrometheus, withShortFor, type Prometheus } from '../support/deploy/prometheus.js';
import { targetYaml } from '../support/targets.js';

const NAMES = Array.from({ length: 10 }, (_, i) => `rgw-${i}`);
const config = {
  schedule: '*/5 * * * * *',
  timeout: '10s',
  jitter: 0,
  targets: NAMES.map((name) => targetYaml({ name, objectSizes: ['4KiB'], extra: { batchSize: 2, listPageSize: 1, steps: { multipart: false } } })),
};

let dir: string;
const running = new Set<Exporter>();
let prometheus: Prometheus | undefined;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 's3prober-shards-'));
});

after(async () => {
  await Promise.allSettled([prometheus?.kill(), ...[...running].map((e) => e.stop())]);
  rmSync(dir, { recursive: true, force: true });
});

async function startShard(spec: string): Promise<Exporter> {
  const e = await startExporter(config, { S3PROBER_SHARD: spec });
  running.add(e);
  return e;
}

async function stopShard(e: Exporter): Promise<void> {
  running.delete(e);
  await e.stop();
}

/** The values of `label` over the samples of one family in a /metrics text. */
function labelValues(text: string, family: string, label: string): string[] {
  const re = new RegExp(`^${family}\\{[^}]*\\b${label}="([^"]*)"`, 'gm');
  return [...text.matchAll(re)].map((m) => m[1]!).sort();
}

/** What a running shard says of itself once every target of its shard had a round. */
async function coverage(e: Exporter) {
  await e.waitReady(90_000);
  const { text } = await e.metrics();
  return {
    probed: labelValues(text, SHARD_METRICS.targetProbed, 'target'),
    configured: labelValues(text, SHARD_METRICS.targetConfigured, 'target'),
    shard: labelValues(text, SHARD_METRICS.shardInfo, 'shard'),
    shards: labelValues(text, SHARD_METRICS.shardInfo, 'shards'),
    // targets with any cycle result: the probe families carry only the shard's own targets
    cycled: [...new Set(labelValues(text, 's3prober_cycles_total', 'target'))],
    succeeded: [...new Set(labelValues(text, 's3prober_last_cycle_timestamp_seconds', 'target'))],
  };
}

for (const count of [2, 3]) {
  test(`${count} shards probe disjoint sets that make up the config, each the names hashmod gives it`, async () => {
    const shards = await Promise.all(Array.from({ length: count }, (_, i) => startShard(`${i}/${count}`)));
    try {
      const seen: string[] = [];
      for (const [i, e] of shards.entries()) {
        const c = await coverage(e);
        const expected = NAMES.filter((n) => shardOf(n, count) === i).sort();
        assert.ok(expected.length > 0, `shard ${i}/${count} has targets (else the check below proves little)`);
        assert.deepEqual(c.probed, expected, `shard ${i}/${count}`);
        assert.deepEqual(c.configured, [...NAMES].sort(), `shard ${i}/${count} lists the whole config`);
        assert.deepEqual([c.shard, c.shards], [[String(i)], [String(count)]]);
        assert.deepEqual(c.cycled, expected, `shard ${i}/${count}: probe series only for its own targets`);
        // ready means every own target finished a round against RGW
        assert.deepEqual(c.succeeded, expected, `shard ${i}/${count}: a finished cycle for each of its targets`);
        assert.match(e.proc.output(), new RegExp(`"shard":"${i}/${count}","probed":${expected.length},"configured":${NAMES.length}`));
        seen.push(...c.probed);
      }
      assert.deepEqual(seen.sort(), [...NAMES].sort(), 'every target in exactly one shard');
    } finally {
      await Promise.all(shards.map(stopShard));
    }
  });
}

test('Prometheus with the shipped shard alerts: a stopped shard leaves a gap, a doubled one an overlap', async () => {
  const shards = await Promise.all([0, 1, 2].map((i) => startShard(`${i}/3`)));
  await Promise.all(shards.map((e) => e.waitReady(90_000)));
  const rules = withShortFor(repoPath('deploy', 'prometheus', 's3prober.shards.alerts.yml'), dir);
  prometheus = await startPrometheus({ dir, ruleFiles: [rules], targets: shards.map((e) => new URL(e.url).host) });
  const prom = prometheus;
  const firing = async (alertname: string) =>
    (await prom.query(`ALERTS{alertname="${alertname}",alertstate="firing"}`)).map((r) => r.metric.target!).sort();
  const ownedBy = (i: number) => NAMES.filter((n) => shardOf(n, 3) === i).sort();

  // All three scraped and the rules evaluated over them: complete coverage, no alert.
  await waitFor('all shards scraped', async () => ((await prom.query(`count(${SHARD_METRICS.targetConfigured})`))[0]?.value?.[1] === String(3 * NAMES.length) ? true : undefined), 60_000);
  await prom.evaluated();
  assert.deepEqual(await firing('S3ProberShardCoverageGap'), []);
  assert.deepEqual(await firing('S3ProberShardCoverageOverlap'), []);

  // Shard 1 stops: its targets are still configured by the others, probed by none.
  await stopShard(shards[1]!);
  const gap = await waitFor('S3ProberShardCoverageGap firing', async () => {
    const t = await firing('S3ProberShardCoverageGap');
    return t.length ? t : undefined;
  }, 60_000, 500);
  assert.deepEqual(gap, ownedBy(1));
  const [alert] = await prom.query('ALERTS{alertname="S3ProberShardCoverageGap",alertstate="firing"}');
  assert.equal(alert!.metric.job, 's3prober');
  assert.equal(alert!.metric.severity, 'warning');
  assert.ok(!('instance' in alert!.metric), 'one alert per target, not per shard');

  // A second process of shard 0 joins: shard 0's targets are probed twice.
  const twin = await startShard('0/3');
  await twin.waitReady(90_000);
  prom.setTargets([...shards, twin].map((e) => new URL(e.url).host));
  const overlap = await waitFor('S3ProberShardCoverageOverlap firing', async () => {
    const t = await firing('S3ProberShardCoverageOverlap');
    return t.length ? t : undefined;
  }, 60_000, 500);
  assert.deepEqual(overlap, ownedBy(0));
  assert.deepEqual(await firing('S3ProberShardCoverageGap'), ownedBy(1), 'shard 1 still missing');
});
