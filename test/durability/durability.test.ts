// Durable canaries against a real Ceph RGW: a set filled a slice per cycle and verified whole; a
// second prober verifies what the first wrote; objects deleted, overwritten or truncated behind the
// prober's back (and the whole bucket removed) are found as lost / integrity, counted and rewritten;
// a failed request leaves its object unverified with the usual reason.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import {
  DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { TargetConfig } from '../../src/config/schema.js';
import { DurabilityRecorder } from '../../src/metrics/durability-recorder.js';
import { DURABILITY_METRICS } from '../../src/metrics/names.js';
import { DURABLE_OBJECT_SIZE, DurableSet, durableContent } from '../../src/probes/durable-set.js';
import { type DurabilityProbe, durabilityProbe } from '../../src/probes/durability.js';
import type { DurabilityResult } from '../../src/results/durability.js';
import type { RequestTrace } from '../../src/results/request-trace.js';
import { createTargetClient } from '../../src/s3/client.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { s3Client, testRgw } from '../support/rgw.js';
import { keysUnder } from '../support/store.js';
import { testConfig, testTarget } from '../support/targets.js';

const admin = s3Client(testRgw());
after(() => admin.destroy());

/** Log lines a probe wrote, parsed. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

function durableTarget(name: string, bucket: string, objects: number, verifyPerCycle: number, endpoint?: string): TargetConfig {
  return testTarget({ name, endpoint, extra: { durability: { bucket, objects, verifyPerCycle } } });
}

/** A probe of its own, as a new prober process has, with a client destroyed after each run. */
function newProbe(t: TargetConfig, logger = pino({ level: 'silent' })): DurabilityProbe {
  const p = durabilityProbe(t, logger);
  assert.ok(p, 'the target has durability');
  return p;
}

/** One run with a client of its own. Every run also holds that the observer is told the result,
 *  and sees each request's trace marked as no canary measurement, but no operation. */
async function runOnce(p: DurabilityProbe): Promise<DurabilityResult> {
  const client = createTargetClient(p.target);
  const traces: RequestTrace[] = [];
  const told: DurabilityResult[] = [];
  let operations = 0;
  try {
    const r = await p.run({
      client,
      observer: { onTrace: (t) => traces.push(t), onOperation: () => operations++, onDurability: (d) => told.push(d) },
    });
    assert.deepEqual(told, [r]);
    assert.equal(operations, 0, 'durability requests are not canary operations');
    assert.equal(traces.length, r.operations.length, 'one request per operation, each traced');
    assert.ok(traces.every((t) => t.measured === false), 'the wire tracer claims them without measuring them');
    return r;
  } finally {
    client.destroy();
  }
}

const count = (r: DurabilityResult, operation: string) => r.operations.filter((o) => o.operation === operation).length;
const failed = (r: DurabilityResult) => r.operations.filter((o) => o.outcome !== 'success').map((o) => `${o.operation}:${o.reason}:${o.errorCode ?? ''}`);

async function bytesOf(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

/** Removes a test's durable bucket with whatever is in it. */
async function dropBucket(bucket: string): Promise<void> {
  for (const k of await keysUnder(admin, bucket, '').catch(() => [])) await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: k }));
  await admin.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
}

describe('durable canaries against Ceph RGW', () => {
  test('a new set is created and filled a slice per cycle, verified whole, and a second prober verifies it without writing', async () => {
    const bucket = 'dur-fill';
    const t = durableTarget('dur-fill', bucket, 8, 4);
    const set = new DurableSet(t.keyPrefix, t.name);
    const startedAt = Date.now();
    try {
      const p = newProbe(t);
      const first = await runOnce(p);
      assert.deepEqual(failed(first), []);
      assert.equal(count(first, 'CreateBucket'), 1, 'the bucket did not exist: created');
      assert.equal(first.filled, 4, 'at most verifyPerCycle objects are written a cycle');
      assert.equal(first.stored, 4);
      const second = await runOnce(p);
      assert.equal(second.filled, 4);
      assert.equal(second.stored, 8);
      assert.equal(count(second, 'CreateBucket'), 0);
      assert.equal(second.pass, undefined, 'the first pass met objects not written yet');
      // The store holds exactly the set, each object with the bytes its key says.
      assert.deepEqual((await keysUnder(admin, bucket, '')).sort(), Array.from({ length: 8 }, (_, i) => set.key(i)));
      for (let i = 0; i < 8; i++) assert.ok((await bytesOf(admin, bucket, set.key(i))).equals(durableContent(set.key(i))), set.key(i));

      // A pass is objects / verifyPerCycle cycles from where the cursor started: the first one met
      // objects not written yet, the second is full.
      assert.equal((await runOnce(p)).pass, undefined);
      const full = await runOnce(p);
      assert.deepEqual(full.pass!.objects, { ok: 8, missing: 0, corrupt: 0 });
      assert.ok(full.pass!.oldestWrittenAt! >= startedAt - 2000 && full.pass!.oldestWrittenAt! <= Date.now(), 'Last-Modified of the oldest object');
      assert.equal(full.filled, 0);

      // Another prober (nothing shared but the store) lists the set once and verifies it whole.
      const other = newProbe(t);
      const o1 = await runOnce(other);
      assert.equal(o1.stored, 8, 'learnt from the listing');
      assert.equal(o1.verified, 4);
      assert.equal(count(o1, 'ListObjectsV2'), 1);
      const o2 = await runOnce(other);
      assert.equal(count(o2, 'ListObjectsV2'), 0, 'the listing is made once');
      for (const r of [o1, o2]) {
        assert.deepEqual(failed(r), []);
        assert.equal(count(r, 'PutObject'), 0, 'a complete, intact set is only read');
        assert.equal(count(r, 'HeadObject'), 4);
        assert.equal(count(r, 'GetObject'), 4);
      }
      assert.equal(o1.pass, undefined);
      assert.deepEqual(o2.pass?.objects, { ok: 8, missing: 0, corrupt: 0 });
    } finally {
      await dropBucket(bucket);
    }
  });

  test('objects deleted, overwritten and truncated behind its back are lost / integrity: counted, logged with their key, rewritten', async () => {
    const bucket = 'dur-rot';
    const t = durableTarget('dur-rot', bucket, 6, 6);
    const set = new DurableSet(t.keyPrefix, t.name);
    const { logger, lines } = capturingLogger();
    const registry = new Registry();
    const config = testConfig([{ name: 'dur-rot', extra: { durability: { bucket, objects: 6, verifyPerCycle: 6 } } }]);
    const recorder = new DurabilityRecorder(registry, config, (target) => ({ target }));
    const value = async (name: string, labels: Record<string, string>) => {
      const m = (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
      return m?.value;
    };
    try {
      const p = newProbe(t, logger);
      assert.equal((await runOnce(p)).filled, 6);
      const clean = await runOnce(p);
      assert.deepEqual(clean.pass?.objects, { ok: 6, missing: 0, corrupt: 0 });
      recorder.onDurability(clean);
      assert.equal(await value(DURABILITY_METRICS.failures, { reason: 'lost' }), 0);

      await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: set.key(1) }));
      const flipped = Buffer.from(durableContent(set.key(2)));
      flipped[100] = flipped[100]! ^ 0xff;
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: set.key(2), Body: flipped }));
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: set.key(3), Body: durableContent(set.key(3)).subarray(0, 1000) }));

      const found = await runOnce(p);
      recorder.onDurability(found);
      assert.deepEqual(failed(found), []);
      // (in the cursor's order, which starts anywhere)
      assert.deepEqual(found.findings.map((f) => `${f.key} ${f.state} ${f.rewritten}`).sort(), [
        `${set.key(1)} missing true`, `${set.key(2)} corrupt true`, `${set.key(3)} corrupt true`,
      ]);
      assert.match(found.findings.find((f) => f.key === set.key(2))!.detail, /different bytes from byte 100 on/);
      assert.match(found.findings.find((f) => f.key === set.key(3))!.detail, new RegExp(`HeadObject reports 1000 bytes, ${DURABLE_OBJECT_SIZE} were written`));
      assert.deepEqual(found.pass?.objects, { ok: 3, missing: 1, corrupt: 2 });
      assert.equal(count(found, 'PutObject'), 3, 'one rewrite each');
      for (const i of [1, 2, 3]) assert.ok((await bytesOf(admin, bucket, set.key(i))).equals(durableContent(set.key(i))), `${set.key(i)} rewritten`);

      // logged with its key and reason
      const logged = lines.filter((l) => l.key !== undefined).map((l) => `${l.key as string} ${l.reason as string}`).sort();
      assert.deepEqual(logged, [`${set.key(1)} lost`, `${set.key(2)} integrity`, `${set.key(3)} integrity`]);

      // counted, and the pass says what it found
      assert.equal(await value(DURABILITY_METRICS.failures, { reason: 'lost' }), 1);
      assert.equal(await value(DURABILITY_METRICS.failures, { reason: 'integrity' }), 2);
      assert.equal(await value(DURABILITY_METRICS.objects, { state: 'missing' }), 1);
      assert.equal(await value(DURABILITY_METRICS.objects, { state: 'corrupt' }), 2);
      assert.equal(await value(DURABILITY_METRICS.objects, { state: 'ok' }), 3);
      assert.equal(await value(DURABILITY_METRICS.lastFullPass, {}), found.pass!.endedAt / 1000);

      // whole again; the counters keep the evidence
      const healed = await runOnce(p);
      recorder.onDurability(healed);
      assert.deepEqual(healed.findings, []);
      assert.deepEqual(healed.pass?.objects, { ok: 6, missing: 0, corrupt: 0 });
      assert.equal(await value(DURABILITY_METRICS.failures, { reason: 'lost' }), 1);
      assert.equal(await value(DURABILITY_METRICS.objects, { state: 'missing' }), 0);
    } finally {
      await dropBucket(bucket);
    }
  });

  test('a bucket removed whole is every object lost: the bucket is created again and the set rewritten', async () => {
    const bucket = 'dur-gone';
    const t = durableTarget('dur-gone', bucket, 5, 5);
    try {
      const p = newProbe(t);
      assert.equal((await runOnce(p)).filled, 5);
      await dropBucket(bucket);
      const r = await runOnce(p);
      assert.deepEqual(r.findings.map((f) => `${f.state} ${f.rewritten}`), Array(5).fill('missing true'));
      assert.deepEqual(r.pass?.objects, { ok: 0, missing: 5, corrupt: 0 });
      assert.equal(r.pass?.oldestWrittenAt, undefined, 'nothing was found intact');
      // the first rewrite finds no bucket (counted as what it is), then the bucket is made again
      assert.deepEqual(failed(r), ['PutObject:not_found:NoSuchBucket']);
      assert.equal(count(r, 'CreateBucket'), 1);
      assert.equal((await keysUnder(admin, bucket, '')).length, 5);
    } finally {
      await dropBucket(bucket);
    }
  });

  test('after a reload, a probe of the same set goes on where the old one was; one of another set starts over', async () => {
    const bucket = 'dur-reload';
    try {
      const before = newProbe(durableTarget('dur-reload', bucket, 8, 4));
      assert.equal((await runOnce(before)).filled, 4);
      const same = newProbe(durableTarget('dur-reload', bucket, 8, 4));
      same.carryOver(before);
      const r = await runOnce(same);
      assert.equal(count(r, 'ListObjectsV2'), 0, 'what the set has is known');
      assert.equal(r.filled, 4);
      assert.equal(r.pass, undefined, 'the pass goes on: it met objects not written yet');
      const bigger = newProbe(durableTarget('dur-reload', bucket, 12, 4));
      bigger.carryOver(same);
      const b = await runOnce(bigger);
      assert.equal(count(b, 'ListObjectsV2'), 1, 'another set: listed afresh');
      assert.equal(b.stored, 12, 'and filled on from what was listed');
    } finally {
      await dropBucket(bucket);
    }
  });

  test('a request that fails leaves its object unverified with the usual reason, and the pass is not full', async () => {
    const bucket = 'dur-fault';
    const proxy = await startFaultProxy({ upstream: testRgw().endpoint });
    const t = durableTarget('dur-fault', bucket, 4, 4, proxy.url);
    try {
      const p = newProbe(t);
      assert.equal((await runOnce(p)).filled, 4);
      assert.ok((await runOnce(p)).pass, 'a full pass without faults');
      proxy.setFault({ kind: 'status', status: 503, match: { operation: 'GetObject' }, times: 1 });
      const r = await runOnce(p);
      assert.deepEqual(failed(r), ['GetObject:throttled:SlowDown']);
      assert.equal(r.verified, 3);
      assert.deepEqual(r.findings, [], 'a failed request is no verdict on the object');
      assert.equal(r.pass, undefined);
      assert.equal(count(r, 'PutObject'), 0, 'nothing rewritten');
      assert.deepEqual((await runOnce(p)).pass?.objects, { ok: 4, missing: 0, corrupt: 0 });
    } finally {
      await proxy.close();
      await dropBucket(bucket);
    }
  });
});
