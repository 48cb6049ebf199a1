// The canary cycle against a real Ceph RGW, directly and through a fault-injecting proxy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';
import { LeftoverStore } from '../../src/probes/leftovers.js';
import type { CycleResult, OperationResult } from '../../src/results/cycle.js';
import { OPERATIONS } from '../../src/results/operations.js';
import { testCycle } from '../support/cycle.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { freePort, s3Client, testRgw } from '../support/rgw.js';
import { bucketsWithPrefix, keysUnder } from '../support/store.js';

const admin = () => s3Client(testRgw());

const cycle = testCycle;

const ops = (r: CycleResult, name: string) => r.operations.filter((o) => o.operation === name);
const failures = (r: CycleResult) => r.operations.filter((o) => o.outcome === 'failure');

function assertAllSucceeded(r: CycleResult): void {
  const bad = r.operations.filter((o) => o.outcome !== 'success');
  assert.deepEqual(bad.map((o) => `${o.operation} ${o.outcome} ${o.reason ?? ''} ${o.message ?? ''}`), []);
  assert.equal(r.success, true);
  assert.equal(r.leftovers, 0);
}

/** Failed operations never carry latency into histograms: they are recorded as failures with a reason. */
function assertFailedWith(r: CycleResult, reason: string, operation?: string): OperationResult[] {
  const f = failures(r).filter((o) => operation === undefined || o.operation === operation);
  assert.ok(f.length > 0, `expected a ${operation ?? ''} failure, got ${r.operations.map((o) => `${o.operation}:${o.outcome}:${o.reason ?? ''}`).join(' ')}`);
  for (const o of f) assert.equal(o.reason, reason, `${o.operation}: ${o.message}`);
  assert.equal(r.success, false);
  return f;
}

async function assertNothingLeft(bucketPrefix: string, fixedBucket?: string): Promise<void> {
  const s3 = admin();
  try {
    assert.deepEqual(await bucketsWithPrefix(s3, bucketPrefix), [], 'ephemeral buckets left behind');
    if (fixedBucket) assert.deepEqual(await keysUnder(s3, fixedBucket, 's3prober/'), [], 'keys left in the fixed bucket');
  } finally {
    s3.destroy();
  }
}

describe('canary cycle against Ceph RGW', () => {
  test('ephemeral mode: every operation succeeds, bytes verified, nothing left', async () => {
    const { r, traces } = await cycle({ extra: { bucket: { mode: 'ephemeral', prefix: 'cyc-eph' } } });
    assertAllSucceeded(r);
    // Every operation of the canary ran, in order, multipart included.
    assert.deepEqual([...new Set(r.operations.map((o) => o.operation))].sort(), [...OPERATIONS].filter((o) => o !== 'AbortMultipartUpload').sort());
    assert.equal(ops(r, 'GetObject').length, 3);
    assert.deepEqual(ops(r, 'GetObject').map((o) => o.bytes), [4096, 1048576, 6 * 1048576]);
    assert.equal(ops(r, 'UploadPart').length, 2, '6 MiB in 5 MiB parts');
    // 7 batch objects in pages of 3, plus the 3 sized objects: 10 keys -> 4 pages.
    assert.equal(ops(r, 'ListObjectsV2').length, 4);
    assert.equal(ops(r, 'PutObject').length, 2 + 7);
    assert.equal(ops(r, 'DeleteObjects').length, 1);
    for (const o of r.operations) assert.ok(o.durationSeconds! > 0 && o.durationSeconds! < 5, `${o.operation} ${o.durationSeconds}`);
    // One request per operation (no SDK retries), each with a local port and measured phases.
    assert.equal(traces.length, r.operations.length);
    for (const t of traces) {
      assert.ok(t.localPort && t.localPort > 0);
      assert.ok(t.endNs! > t.startNs);
      assert.ok(t.phases.processing! > 0);
      assert.ok(t.reused ? t.phases.connect === undefined : t.phases.connect! > 0, 'connect measured only on new connections');
    }
    assert.ok(traces.some((t) => t.reused), 'keep-alive reuses connections');
    // An operation's latency starts when its request is issued: it encloses the request's own
    // window and the SDK's preparation before it is reported apart.
    for (const o of r.operations) {
      const t = o.traces[0]!;
      const request = Number(t.endNs! - t.startNs) / 1e9;
      assert.ok(o.prepareSeconds! > 0 && o.prepareSeconds! < 1, `${o.operation} prepare ${o.prepareSeconds}`);
      assert.ok(o.durationSeconds! >= request, `${o.operation}: ${o.durationSeconds} s < its request's ${request} s`);
    }
    await assertNothingLeft('cyc-eph');
  });

  test('fixed mode: no bucket created or removed, keys under the prefix removed', async () => {
    const s3 = admin();
    const bucket = 'cyc-fixed-canary';
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined);
    try {
      const { r } = await cycle({ bucket: { mode: 'fixed', name: bucket } });
      assertAllSucceeded(r);
      assert.equal(ops(r, 'CreateBucket').length, 0);
      assert.equal(ops(r, 'DeleteBucket').length, 0);
      await assertNothingLeft('cyc-fixed-x', bucket);
    } finally {
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
      s3.destroy();
    }
  });

  test('wrong secret: every call fails with reason auth, dependants skipped, nothing left', async () => {
    const { r } = await cycle({ secret: 'definitely-wrong-secret', extra: { bucket: { mode: 'ephemeral', prefix: 'cyc-auth' } } });
    const f = assertFailedWith(r, 'auth');
    assert.equal(f[0]!.operation, 'CreateBucket');
    assert.equal(f[0]!.httpStatus, 403);
    assert.equal(f[0]!.errorCode, 'SignatureDoesNotMatch');
    assert.ok(ops(r, 'GetObject').every((o) => o.outcome === 'skipped'));
    assert.equal(r.leftovers, 0);
    await assertNothingLeft('cyc-auth');
  });

  test('endpoint down: connection_refused, quickly', async () => {
    const port = await freePort();
    const { r } = await cycle({ endpoint: `http://127.0.0.1:${port}` });
    assertFailedWith(r, 'connection_refused');
    assert.ok(r.durationSeconds < 5, `took ${r.durationSeconds}s`);
    assert.equal(r.leftovers, 0, 'nothing was sent, so nothing can be left');
  });

  test('unresolvable name: dns', async () => {
    const { r } = await cycle({ endpoint: 'http://no-such-host.invalid:7480' });
    assertFailedWith(r, 'dns');
  });

  describe('through a fault-injecting proxy', () => {
    let proxy: FaultProxy;
    before(async () => {
      proxy = await startFaultProxy({ upstream: testRgw().endpoint });
    });
    after(async () => {
      await proxy.close();
    });

    test('corrupted GET bodies: integrity, everything else fine, nothing left', async () => {
      proxy.setFault({ kind: 'corrupt', match: { operation: 'GetObject' }, offset: 100, count: 3 });
      const { r } = await cycle({ endpoint: proxy.url, extra: { bucket: { mode: 'ephemeral', prefix: 'cyc-corrupt' } } });
      proxy.setFault(null);
      const f = assertFailedWith(r, 'integrity', 'GetObject');
      assert.equal(f.length, 3);
      assert.match(f[0]!.message!, /sha256 mismatch/);
      assert.deepEqual(failures(r).map((o) => o.operation), ['GetObject', 'GetObject', 'GetObject']);
      assert.equal(r.leftovers, 0);
      await assertNothingLeft('cyc-corrupt');
    });

    test('a stalled response: timeout within the configured bound, cleanup still complete', async () => {
      const timeoutMs = 800;
      proxy.setFault({ kind: 'stall', match: { operation: 'HeadObject' }, times: 1 });
      const t0 = Date.now();
      const { r } = await cycle({ endpoint: proxy.url, extra: { bucket: { mode: 'ephemeral', prefix: 'cyc-stall' } } }, timeoutMs);
      proxy.setFault(null);
      const [f] = assertFailedWith(r, 'timeout', 'HeadObject');
      assert.ok(f!.durationSeconds! >= timeoutMs / 1000 - 0.01 && f!.durationSeconds! < timeoutMs / 1000 + 0.5, `timed out after ${f!.durationSeconds}s`);
      assert.equal(failures(r).length, 1, 'only the stalled call fails');
      assert.ok(Date.now() - t0 < 15_000);
      assert.equal(r.leftovers, 0);
      await assertNothingLeft('cyc-stall');
    });

    test('503 SlowDown and 429: throttled; 500: server_error', async () => {
      proxy.setFault([
        { kind: 'status', status: 503, code: 'SlowDown', match: { operation: 'PutObject' }, times: 1 },
        { kind: 'status', status: 429, match: { operation: 'HeadObject' }, times: 1 },
        { kind: 'status', status: 500, code: 'InternalError', match: { operation: 'ListBuckets' }, times: 1 },
      ]);
      const { r } = await cycle({ endpoint: proxy.url, extra: { bucket: { mode: 'ephemeral', prefix: 'cyc-status' } } });
      proxy.setFault(null);
      assert.deepEqual(failures(r).map((o) => `${o.operation}:${o.reason}`), ['PutObject:throttled', 'HeadObject:throttled', 'ListBuckets:server_error']);
      assert.equal(r.leftovers, 0);
      await assertNothingLeft('cyc-status');
    });

    test('leftovers are reported and removed by the next cycle', async () => {
      // Every DeleteObject/DeleteObjects/DeleteBucket fails this cycle, the cleanup's included.
      proxy.setFault({ kind: 'status', status: 500, code: 'InternalError', match: { operation: ['DeleteObject', 'DeleteObjects', 'DeleteBucket'] } });
      const leftovers = new LeftoverStore();
      const first = await cycle({ endpoint: proxy.url, objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'cyc-left' } } }, 5000, leftovers);
      assert.ok(first.r.leftovers >= 1 + 7 + 1, `leftovers: ${first.r.leftovers}`);
      const s3 = admin();
      try {
        assert.equal((await bucketsWithPrefix(s3, 'cyc-left')).length, 1);
        proxy.setFault(null);
        const second = await cycle({ endpoint: proxy.url, objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'cyc-left' } } }, 5000, leftovers);
        assertAllSucceeded(second.r);
        assert.equal(leftovers.size, 0);
        assert.deepEqual(await bucketsWithPrefix(s3, 'cyc-left'), []);
      } finally {
        s3.destroy();
      }
    });
  });
});
