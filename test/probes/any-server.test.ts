// Servers that lack an API or speak the wrong protocol, against real RGW behind the fault proxy:
// the reason is honest, clean-up always has a fallback and names the call that failed, nothing is
// left behind and nothing phantom is counted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { LeftoverStore } from '../../src/probes/leftovers.js';
import { cycleId, ephemeralBucketName } from '../../src/probes/naming.js';
import { operationsOf } from '../../src/probes/plan.js';
import { sweep } from '../../src/probes/sweep.js';
import { TargetRunner } from '../../src/probes/target-runner.js';
import type { CycleResult } from '../../src/results/cycle.js';
import { createTargetClient } from '../../src/s3/client.js';
import { testCycle } from '../support/cycle.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { s3Client, testRgw } from '../support/rgw.js';
import { bucketsWithPrefix, keysUnder } from '../support/store.js';
import { testTarget } from '../support/targets.js';

const logger = pino({ level: 'silent' });
const failures = (r: CycleResult) => r.operations.filter((o) => o.outcome === 'failure').map((o) => `${o.operation}:${o.reason}`);

/** An ephemeral bucket named as an earlier run of `target` would have, holding `keys` objects. */
async function leftoverBucket(prefix: string, target: string, keys: number): Promise<string> {
  const s3 = s3Client(testRgw());
  try {
    const bucket = ephemeralBucketName(prefix, target, cycleId(new Date(Date.now() - 3_600_000)));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (let i = 0; i < keys; i++) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `s3prober/${target}/k${i}`, Body: 'x' }));
    return bucket;
  } finally {
    s3.destroy();
  }
}

async function bucketsLeft(prefix: string): Promise<string[]> {
  const s3 = s3Client(testRgw());
  try {
    return await bucketsWithPrefix(s3, `${prefix}-`);
  } finally {
    s3.destroy();
  }
}

describe('any S3 server', () => {
  let proxy: FaultProxy;
  before(async () => {
    proxy = await startFaultProxy({ upstream: testRgw().endpoint });
  });
  after(async () => {
    await proxy?.close();
  });

  test('no ListMultipartUploads (501): the sweep still removes leftover buckets and keys, and says which call was missing', async () => {
    const target = testTarget({ name: 'no-lmu', endpoint: proxy.url, extra: { bucket: { mode: 'ephemeral', prefix: 'any-lmu' } } });
    const bucket = await leftoverBucket('any-lmu', 'no-lmu', 3);
    proxy.setFault({ kind: 'status', status: 501, match: { operation: 'ListMultipartUploads' } });
    const client = createTargetClient(target);
    try {
      const r = await sweep(client.s3, target, { olderThanMs: 0, timeoutMs: 5000 });
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.buckets, [bucket]);
      assert.equal(r.keys, 3);
      assert.deepEqual(r.remaining, []);
      assert.equal(r.notes.length, 1);
      assert.match(r.notes[0]!, /^ListMultipartUploads .*not offered by the server \(NotImplemented \(HTTP 501\)/);
    } finally {
      client.destroy();
      proxy.setFault(null);
    }
    assert.deepEqual(await bucketsLeft('any-lmu'), []);
  });

  test('fixed bucket, nothing left, no ListMultipartUploads: no error, no warning', async () => {
    const s3 = s3Client(testRgw());
    await s3.send(new CreateBucketCommand({ Bucket: 'any-fixed' })).catch(() => undefined);
    s3.destroy();
    const target = testTarget({ name: 'fixed-lmu', endpoint: proxy.url, bucket: { mode: 'fixed', name: 'any-fixed' } });
    proxy.setFault({ kind: 'status', status: 501, match: { operation: 'ListMultipartUploads' } });
    const warnings: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => { if (JSON.parse(l).level >= 40) warnings.push(l); } });
    const runner = new TargetRunner(target, log, {});
    try {
      const [r] = await runner.runCycle();
      assert.equal(r!.success, true, JSON.stringify(failures(r!)));
      assert.deepEqual(warnings, []);
      assert.equal(runner.nodes[0]!.leftovers.size, 0);
    } finally {
      runner.destroy();
      proxy.setFault(null);
    }
    const admin = s3Client(testRgw());
    try {
      assert.deepEqual(await keysUnder(admin, 'any-fixed', 's3prober/fixed-lmu/'), []);
    } finally {
      admin.destroy();
    }
  });

  test('no DeleteObjects (501): the cycle says unsupported and removes the batch key by key; the sweep does too', async () => {
    proxy.setFault({ kind: 'status', status: 501, match: { operation: 'DeleteObjects' } });
    try {
      const { r } = await testCycle({ endpoint: proxy.url, objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'any-dos' } } });
      assert.deepEqual(failures(r), ['DeleteObjects:unsupported']);
      assert.equal(r.leftovers, 0);
      assert.deepEqual(await bucketsLeft('any-dos'), []);

      const target = testTarget({ name: 'no-dos', endpoint: proxy.url, extra: { bucket: { mode: 'ephemeral', prefix: 'any-dos2' } } });
      await leftoverBucket('any-dos2', 'no-dos', 4);
      const client = createTargetClient(target);
      try {
        const s = await sweep(client.s3, target, { olderThanMs: 0, timeoutMs: 5000 });
        assert.deepEqual(s.errors, []);
        assert.equal(s.keys, 4);
        assert.equal(s.buckets.length, 1);
        assert.match(s.notes.join('\n'), /^DeleteObjects .*not offered by the server.*one by one/m);
      } finally {
        client.destroy();
      }
      assert.deepEqual(await bucketsLeft('any-dos2'), []);
    } finally {
      proxy.setFault(null);
    }
  });

  test('CompleteMultipartUpload 405 MethodNotAllowed: unsupported, the upload is aborted, nothing left', async () => {
    proxy.setFault({ kind: 'status', status: 405, match: { operation: 'CompleteMultipartUpload' } });
    try {
      const { r } = await testCycle({ endpoint: proxy.url, objectSizes: ['6MiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'any-405' } } });
      assert.deepEqual(failures(r), ['CompleteMultipartUpload:unsupported']);
      assert.ok(r.operations.some((o) => o.operation === 'AbortMultipartUpload' && o.outcome === 'success'));
      assert.equal(r.leftovers, 0);
    } finally {
      proxy.setFault(null);
    }
    assert.deepEqual(await bucketsLeft('any-405'), []);
  });

  test('a DeleteObject that keeps failing in the sweep: the error names the call and the key, and the runner counts it as a leftover', async () => {
    const target = testTarget({ name: 'del-fails', endpoint: proxy.url, objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'any-delf' }, steps: { batchDelete: false } } });
    const bucket = await leftoverBucket('any-delf', 'del-fails', 1);
    proxy.setFault({ kind: 'status', status: 500, code: 'InternalError', match: { operation: 'DeleteObject', path: `/${bucket}/` } });
    const runner = new TargetRunner(target, logger, {});
    try {
      const [r] = await runner.runCycle();
      assert.equal(r!.success, true, JSON.stringify(failures(r!)));
      // the leftover bucket and its key are known, retried, and counted
      assert.equal(r!.leftovers, 2);
      proxy.setFault(null);
      const [again] = await runner.runCycle();
      assert.equal(again!.leftovers, 0);
    } finally {
      runner.destroy();
      proxy.setFault(null);
    }
    assert.deepEqual(await bucketsLeft('any-delf'), []);
  });

  test('steps turned off: no multipart, no DeleteObjects, no ListBuckets; every other step runs and succeeds', async () => {
    const steps = { multipart: false, batchDelete: false, listBuckets: false };
    const { r, target } = await testCycle({ objectSizes: ['4KiB', '6MiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'any-steps' }, steps } });
    assert.equal(r.success, true, JSON.stringify(failures(r)));
    const ran = new Set(r.operations.map((o) => o.operation));
    for (const op of ['CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'DeleteObjects', 'ListBuckets'] as const) {
      assert.equal(ran.has(op), false, op);
      assert.equal(operationsOf(target).includes(op), false, op);
    }
    assert.deepEqual([...ran].sort(), [...operationsOf(target)].sort());
    assert.equal(r.operations.filter((o) => o.operation === 'PutObject' && o.size === '6MiB').length, 1, '6 MiB went up as one PutObject');
    assert.deepEqual(await bucketsLeft('any-steps'), []);
  });

  test('https:// pointed at a plain-HTTP server: reason tls for every attempt, and no phantom leftover', async () => {
    const leftovers = new LeftoverStore();
    const endpoint = testRgw().endpoint.replace(/^http:/, 'https:');
    for (let i = 0; i < 2; i++) {
      const { r } = await testCycle({ endpoint, extra: { bucket: { mode: 'ephemeral', prefix: 'any-tls' } } }, 5000, leftovers);
      assert.equal(failures(r)[0], 'CreateBucket:tls');
      assert.ok(failures(r).every((f) => f.endsWith(':tls')), JSON.stringify(failures(r)));
      assert.equal(r.leftovers, 0);
    }
    assert.equal(leftovers.size, 0);
  });

  test('a cycle that a bug of the prober ends: reason internal, a failed cycle that says so, nothing left', async () => {
    // 3 GiB bypasses the config's limit, as a bug would: making the payload throws a RangeError
    const target = { ...testTarget({ name: 'crash', objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'any-crash' } } }), objectSizes: [4096, 3 * 1024 ** 3] };
    const runner = new TargetRunner(target, logger, {});
    try {
      const [r] = await runner.runCycle();
      assert.equal(r!.success, false);
      assert.match(r!.internalError ?? '', /./);
      assert.deepEqual(failures(r!), ['CreateMultipartUpload:internal'], 'counted against the step it hit: 3 GiB goes up as multipart');
      assert.equal(r!.leftovers, 0);
    } finally {
      runner.destroy();
    }
    assert.deepEqual(await bucketsLeft('any-crash'), []);
  });
});
