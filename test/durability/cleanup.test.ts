// Durable sets outlive everything that removes the prober's names: the start-up sweep and
// `s3prober cleanup` leave them alone, even a durable bucket named like one of the target's own
// ephemeral buckets; `cleanup --durable` removes them, on purpose, and keeps their buckets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { durabilityProbe } from '../../src/probes/durability.js';
import { DurableSet } from '../../src/probes/durable-set.js';
import { cycleId, ephemeralBucketName } from '../../src/probes/naming.js';
import { sweep } from '../../src/probes/sweep.js';
import { createTargetClient } from '../../src/s3/client.js';
import { CLI } from '../support/exporter.js';
import { runProc } from '../support/proc.js';
import { s3Client, testRgw } from '../support/rgw.js';
import { bucketsWithPrefix, keysUnder } from '../support/store.js';
import { targetYaml } from '../support/targets.js';

test('sweeps and cleanup leave durable sets alone; cleanup --durable removes them and keeps the buckets', async () => {
  const s3 = s3Client(testRgw());
  const old = cycleId(new Date('2020-01-01T00:00:00Z'));
  const fixed = 'durcln-fixed';
  // named exactly like an ephemeral bucket of its own target, from a cycle long ago
  const lookalike = ephemeralBucketName('durcln', 'dur-eph', old);
  const kept = 'durcln-kept';
  const dir = mkdtempSync(join(tmpdir(), 's3prober-durcln-'));
  const file = join(dir, 'c.yaml');
  const yaml = stringify({
    targets: [
      // target "durable": its canary keys are under s3prober/durable/, as are durable keys (in another bucket)
      targetYaml({ name: 'durable', bucket: { mode: 'fixed', name: fixed }, extra: { durability: { bucket: kept, objects: 3, verifyPerCycle: 3 } } }),
      targetYaml({ name: 'dur-eph', extra: { bucket: { mode: 'ephemeral', prefix: 'durcln' }, durability: { bucket: lookalike, objects: 3, verifyPerCycle: 3 } } }),
    ],
  });
  writeFileSync(file, yaml);
  const config = parseConfig(yaml, process.env);
  const sets = config.targets.map((t) => ({ bucket: t.durability!.bucket, set: new DurableSet(t.keyPrefix, t.name) }));
  const durableKeys = async () => (await Promise.all(sets.map(({ bucket, set }) => keysUnder(s3, bucket, set.prefix).catch(() => [])))).flat();
  try {
    await s3.send(new CreateBucketCommand({ Bucket: fixed }));
    for (const t of config.targets) {
      const client = createTargetClient(t);
      try {
        const r = await durabilityProbe(t, pino({ level: 'silent' }))!.run({ client });
        assert.equal(r.filled, 3, t.name);
      } finally {
        client.destroy();
      }
    }
    const all = sets.flatMap(({ set }) => [0, 1, 2].map((i) => set.key(i))).sort();
    assert.deepEqual((await durableKeys()).sort(), all);

    // the start-up sweep of each target
    for (const t of config.targets) {
      const client = createTargetClient(t);
      try {
        const r = await sweep(client.s3, t, { olderThanMs: 0, timeoutMs: t.timeout });
        assert.deepEqual([r.buckets, r.keys, r.errors], [[], 0, []], t.name);
      } finally {
        client.destroy();
      }
    }
    // `s3prober cleanup`
    const plain = await runProc(process.execPath, [CLI, 'cleanup', '--config', file]);
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    assert.doesNotMatch(plain.stdout, /durable set/);
    assert.deepEqual((await durableKeys()).sort(), all, 'every durable object is still there');
    assert.deepEqual(await bucketsWithPrefix(s3, lookalike), [lookalike]);

    const durable = await runProc(process.execPath, [CLI, 'cleanup', '--config', file, '--durable']);
    assert.equal(durable.code, 0, durable.stdout + durable.stderr);
    assert.match(durable.stdout, new RegExp(`^durable durable set \\(bucket ${kept}, kept\\): removed 3 key\\(s\\), 0 upload\\(s\\)$`, 'm'));
    assert.match(durable.stdout, new RegExp(`^dur-eph durable set \\(bucket ${lookalike}, kept\\): removed 3 key\\(s\\)`, 'm'));
    assert.deepEqual(await durableKeys(), []);
    for (const bucket of [kept, lookalike]) await s3.send(new HeadBucketCommand({ Bucket: bucket })); // still there
  } finally {
    for (const bucket of [kept, lookalike, fixed]) {
      for (const k of await keysUnder(s3, bucket, '').catch(() => [])) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: k }));
      await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    }
    s3.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
