// Replication lag against real RGW multisite: a realm with zones a and b on one local cluster, each
// with its own radosgw (scripts/rgw-start.sh, ZONE_B_PORT), b syncing from a. Objects written at a
// show at b with their lag measured, deletes too; a bucket whose sync is disabled is stuck (reason
// timeout); an object overwritten at b behind the prober's back is integrity; b's gateway down is
// its polls' reason. Whatever the prober wrote is gone at both sides afterwards; the bucket stays.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import { ProberRuntime } from '../../src/cli/runtime.js';
import { runCleanup } from '../../src/cli/cleanup.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { REPLICATION_METRICS } from '../../src/metrics/names.js';
import { ReplicationRecorder } from '../../src/metrics/replication-recorder.js';
import { replicationKeyPrefix } from '../../src/probes/naming.js';
import { ReplicationProbe, REPLICATION_OBJECT_SIZE, replicationContent } from '../../src/probes/replication.js';
import type { ReplicationInFlight, ReplicationOutcome } from '../../src/results/replication.js';
import { sample } from '../support/exporter.js';
import { type ExtraRgw, s3Client, startExtraRgw, testRgw } from '../support/rgw.js';
import { keysUnder } from '../support/store.js';
import { targetYaml } from '../support/targets.js';

const BUCKET = 'replicated';
let rgw: ExtraRgw;
let a: S3Client;
let b: S3Client;

/** Waits (bounded) until `check` holds; the message says what never happened. */
async function until(check: () => Promise<boolean> | boolean, what: string, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < end, `${what}: not within ${ms / 1000}s`);
    await sleep(200);
  }
}

before(async () => {
  const { accessKeyId, secretAccessKey } = testRgw();
  rgw = await startExtraRgw({ zoneB: true, accessKeyId, secretAccessKey });
  a = s3Client(rgw);
  b = s3Client({ ...rgw, endpoint: rgw.endpointB! });
  // the operator's part: the bucket exists at both sides (created at the master, synced to b)
  await a.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await until(() => b.send(new HeadBucketCommand({ Bucket: BUCKET })).then(() => true, () => false), 'the bucket shows at zone b');
});
after(async () => {
  a?.destroy();
  b?.destroy();
  await rgw?.stop();
});

function pairConfig(name: string, timeout: string, top: Record<string, unknown> = {}): Config {
  const zone = (n: string, endpoint: string) => targetYaml({ name: n, endpoint, objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: `repl-${n}` }, steps: { multipart: false } } });
  return parseConfig(stringify({
    timeout: '5s', ebpf: { enabled: false }, ...top,
    targets: [zone('zone-a', rgw.endpoint), zone('zone-b', rgw.endpointB!)],
    replication: [{ name, source: 'zone-a', destination: 'zone-b', bucket: BUCKET, timeout }],
  }), process.env);
}

/** A probe of the config's replication, its outcomes kept and recorded. */
function probeOf(config: Config) {
  const outcomes: ReplicationOutcome[] = [];
  const inFlight: ReplicationInFlight[] = [];
  const registry = new Registry();
  const recorder = new ReplicationRecorder(registry, config);
  const r = config.replication[0]!;
  const target = (n: string) => config.targets.find((t) => t.name === n)!;
  const probe = new ReplicationProbe(r, target(r.source), target(r.destination), pino({ level: 'silent' }), {
    onReplication: (o) => { outcomes.push(o); recorder.onReplication(o); },
    onReplicationInFlight: (s) => { inFlight.push(s); recorder.onReplicationInFlight(s); },
  });
  /** A sample of a family; `series` names a histogram's _count or _sum. */
  const value = async (name: string, labels: Record<string, string>, series = name) =>
    (await registry.getSingleMetric(name)!.get()).values
      .find((v) => ((v as { metricName?: string }).metricName ?? name) === series && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
  return { probe, outcomes, inFlight, value, prefix: replicationKeyPrefix(r.keyPrefix, r.name) };
}

/** Where cleanup's report goes when the test reads the store instead. */
const devNull = () => new Writable({ write: (_c, _e, done) => done() });

const failedOps = (o: ReplicationOutcome) => o.operations.filter((op) => op.outcome !== 'success').map((op) => `${op.target}:${op.operation}:${op.reason}`);

describe('replication lag against RGW multisite', () => {
  test('objects written at zone a show at zone b with their lag measured, deletes too; nothing is left, old leftovers are swept', async () => {
    const config = pairConfig('a-to-b', '60s');
    const { probe, outcomes, inFlight, value, prefix } = probeOf(config);
    // what a killed prober left long ago, and a key that is not the prober's
    await a.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}20200101t000000z-abcdef`, Body: 'old' }));
    await a.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'operator/keep', Body: 'mine' }));
    try {
      // three rounds at once: objects in flight together, none waiting for another
      for (let i = 0; i < 3; i++) probe.tick();
      assert.equal(probe.tracked, 3, 'the round does not wait for the object to arrive');
      await until(() => outcomes.length === 6, 'three objects and three deletes replicated');
    } finally {
      await probe.stop();
    }
    const objects = outcomes.filter((o) => o.kind === 'object');
    const deletes = outcomes.filter((o) => o.kind === 'delete');
    assert.equal(objects.length, 3);
    assert.deepEqual(deletes.map((o) => o.key).sort(), objects.map((o) => o.key).sort(), 'each object, once arrived, is deleted');
    assert.equal(new Set(objects.map((o) => o.key)).size, 3, 'unique keys');
    for (const o of outcomes) {
      assert.equal(o.reason, undefined, `${o.kind} ${o.key}: ${o.detail}`);
      assert.deepEqual(failedOps(o), []);
      assert.ok(o.key.startsWith(prefix));
      assert.ok(o.lagSeconds! >= 0 && o.lagSeconds! < 60, `lag ${o.lagSeconds}`);
      assert.ok(o.polls >= 1);
      assert.deepEqual({ replication: o.replication, source: o.source, destination: o.destination }, { replication: 'a-to-b', source: 'zone-a', destination: 'zone-b' });
    }
    for (const o of objects) {
      assert.deepEqual(o.operations.filter((op) => op.target === 'zone-a').map((op) => op.operation), ['PutObject']);
      const polls = o.operations.filter((op) => op.target === 'zone-b').map((op) => op.operation);
      assert.equal(polls.filter((p) => p === 'HeadObject').length, o.polls, 'one HeadObject per poll');
      assert.equal(polls.at(-1), 'GetObject', 'every byte read once it showed');
      assert.equal(o.operations.find((op) => op.operation === 'PutObject')!.bytes, REPLICATION_OBJECT_SIZE);
    }
    for (const o of deletes) assert.deepEqual(o.operations.filter((op) => op.target === 'zone-a').map((op) => op.operation), ['DeleteObject']);
    assert.deepEqual(inFlight.at(-1)!.inFlight, { object: 0, delete: 0 });
    assert.ok(inFlight.some((s) => s.inFlight.object === 3), 'three in flight at once');

    const labels = { replication: 'a-to-b', source: 'zone-a', destination: 'zone-b' };
    for (const kind of ['object', 'delete']) assert.equal(await value(REPLICATION_METRICS.lag, { ...labels, kind }, `${REPLICATION_METRICS.lag}_count`), 3);
    assert.equal(await value(REPLICATION_METRICS.failures, { ...labels, kind: 'object', reason: 'timeout' }), 0);
    assert.equal(await value(REPLICATION_METRICS.inFlight, { ...labels, kind: 'object' }), 0);
    assert.ok((await value(REPLICATION_METRICS.lastReplicated, { ...labels, kind: 'delete' }))! > Date.now() / 1000 - 120);

    // the prober's own keys are gone at both sides (the old one swept); the operator's key and the bucket stay
    await until(async () => (await keysUnder(a, BUCKET, prefix)).length === 0 && (await keysUnder(b, BUCKET, prefix)).length === 0, 'no replication key left at either side');
    assert.deepEqual(await keysUnder(a, BUCKET, 'operator/'), ['operator/keep']);
  });

  test('a bucket whose sync is disabled is stuck: the object times out, is counted, and is deleted at both sides', async () => {
    const config = pairConfig('stuck', '3s');
    const { probe, outcomes, value, prefix } = probeOf(config);
    await rgw.admin('bucket', 'sync', 'disable', `--bucket=${BUCKET}`);
    try {
      probe.tick();
      await until(() => outcomes.length === 1, 'the object given up on');
      await probe.stop();
    } finally {
      await rgw.admin('bucket', 'sync', 'enable', `--bucket=${BUCKET}`);
    }
    const [o] = outcomes;
    assert.equal(o!.kind, 'object');
    assert.equal(o!.reason, 'timeout', o!.detail);
    assert.equal(o!.lagSeconds, undefined);
    assert.match(o!.detail!, /not at the destination 3s after the write \(\d+ polls\)/);
    // polls at 0.5 s, 1.5 s, 3.5 s after the write: the last one at the timeout
    assert.ok(o!.polls >= 3, `${o!.polls} polls`);
    assert.deepEqual(failedOps(o!), [], 'every poll was answered: nothing had arrived');
    // what S3ProberReplicationStuck reads: a failure, and no lag observed
    const labels = { replication: 'stuck', source: 'zone-a', destination: 'zone-b', kind: 'object' };
    assert.equal(await value(REPLICATION_METRICS.failures, { ...labels, reason: 'timeout' }), 1);
    assert.equal(await value(REPLICATION_METRICS.lag, labels, `${REPLICATION_METRICS.lag}_count`), undefined);
    assert.equal(await value(REPLICATION_METRICS.inFlight, labels), 0);
    await until(async () => (await keysUnder(a, BUCKET, prefix)).length === 0 && (await keysUnder(b, BUCKET, prefix)).length === 0, 'the abandoned object deleted at both sides');
  });

  test('an object overwritten at zone b behind the prober\'s back is integrity, and is deleted at both sides', async () => {
    const config = pairConfig('rot', '60s');
    const { probe, outcomes, value, prefix } = probeOf(config);
    await rgw.admin('bucket', 'sync', 'disable', `--bucket=${BUCKET}`);
    try {
      probe.tick();
      let key = '';
      await until(async () => { key = (await keysUnder(a, BUCKET, prefix))[0] ?? ''; return key !== ''; }, 'the object written at zone a');
      const wrong = Buffer.from(replicationContent(key));
      wrong[100] = (wrong[100] ?? 0) ^ 0xff;
      await b.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: wrong }));
      await until(() => outcomes.length === 1, 'the object found at zone b');
      await probe.stop();
      const [o] = outcomes;
      assert.equal(o!.key, key);
      assert.equal(o!.reason, 'integrity', o!.detail);
      assert.match(o!.detail!, /arrived with other bytes: GetObject returned different bytes from byte 100 on/);
      assert.equal(await value(REPLICATION_METRICS.failures, { replication: 'rot', source: 'zone-a', destination: 'zone-b', kind: 'object', reason: 'integrity' }), 1);
    } finally {
      await rgw.admin('bucket', 'sync', 'enable', `--bucket=${BUCKET}`);
    }
    await until(async () => (await keysUnder(a, BUCKET, prefix)).length === 0 && (await keysUnder(b, BUCKET, prefix)).length === 0, 'the object deleted at both sides');
  });

  test('cleanup leaves the replicated bucket alone; cleanup --replication removes the prober\'s keys at both sides', async () => {
    const config = pairConfig('tidy', '60s');
    const prefix = replicationKeyPrefix(config.replication[0]!.keyPrefix, 'tidy');
    const fresh = `${prefix}${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').toLowerCase()}-a1b2c3`;
    await a.send(new PutObjectCommand({ Bucket: BUCKET, Key: fresh, Body: 'x' }));
    await b.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}20200101t000000z-abcdef`, Body: 'x' }));
    assert.ok(await runCleanup(config, { olderThanMs: 0, durable: false }, devNull()));
    assert.ok((await keysUnder(a, BUCKET, prefix)).includes(fresh), 'plain cleanup leaves replication keys');
    assert.ok(await runCleanup(config, { olderThanMs: 0, durable: false, replication: true }, devNull()));
    await until(async () => (await keysUnder(a, BUCKET, prefix)).length === 0 && (await keysUnder(b, BUCKET, prefix)).length === 0, 'the replication keys removed at both sides');
    await b.send(new HeadBucketCommand({ Bucket: BUCKET }));
    assert.deepEqual(await keysUnder(a, BUCKET, 'operator/'), ['operator/keep'], 'and nothing else');
  });

  test('in the running exporter: each round of the source sends an object, lag on /metrics', async () => {
    const config = pairConfig('live', '60s', { schedule: '*/1 * * * * *' });
    const rt = await ProberRuntime.start({ config, listen: '127.0.0.1:0', logger: pino({ level: 'silent' }) });
    const url = `http://127.0.0.1:${rt.address.port}/metrics`;
    const labels = { replication: 'live', source: 'zone-a', destination: 'zone-b', kind: 'delete' };
    let text = '';
    try {
      await until(async () => {
        text = await (await fetch(url)).text();
        return (sample(text, `${REPLICATION_METRICS.lag}_count`, labels) ?? 0) >= 2;
      }, 'deletes replicated in two rounds');
      assert.equal(sample(text, REPLICATION_METRICS.failures, { ...labels, kind: 'object', reason: 'timeout' }), 0);
      assert.equal(sample(text, REPLICATION_METRICS.skippedWrites, { replication: 'live', source: 'zone-a', destination: 'zone-b' }), 0);
    } finally {
      await rt.stop();
    }
    // stop deleted what was in flight
    const prefix = replicationKeyPrefix(config.replication[0]!.keyPrefix, 'live');
    await until(async () => (await keysUnder(a, BUCKET, prefix)).length === 0 && (await keysUnder(b, BUCKET, prefix)).length === 0, 'nothing left after stop');
  });

  // last: zone b's gateway does not come back
  test("zone b's gateway down: the object fails with its polls' reason", async () => {
    const config = pairConfig('down', '3s');
    const { probe, outcomes, value } = probeOf(config);
    const rgwB = readFileSync(path.join(rgw.base, 'pids'), 'utf8').split('\n').find((l) => l.startsWith('rgw-b '))!.split(' ')[1];
    process.kill(Number(rgwB), 'SIGKILL');
    probe.tick();
    await until(() => outcomes.length === 1, 'the object given up on');
    await probe.stop();
    const [o] = outcomes;
    assert.equal(o!.reason, 'connection_refused', o!.detail);
    assert.match(o!.detail!, /not at the destination 3s after the write .*the last poll failed/);
    assert.ok(failedOps(o!).every((f) => f.startsWith('zone-b:HeadObject:connection_refused')));
    assert.equal(await value(REPLICATION_METRICS.failures, { replication: 'down', source: 'zone-a', destination: 'zone-b', kind: 'object', reason: 'connection_refused' }), 1);
  });
});
