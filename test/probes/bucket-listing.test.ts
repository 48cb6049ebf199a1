// ListBuckets as the cycle and the sweep ask for it: paginated and narrowed to the prober's own
// names (AWS rejects unpaginated ListBuckets on accounts allowed more than 10,000 buckets). RGW 16
// ignores the parameters; servers that honour them are RGW behind the fault proxy's
// 'paginate-buckets' fault, which pages RGW's real listing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';
import { cycleId, ephemeralBucketName } from '../../src/probes/naming.js';
import type { CycleResult } from '../../src/results/cycle.js';
import { sweep } from '../../src/probes/sweep.js';
import { createTargetClient } from '../../src/s3/client.js';
import { testCycle } from '../support/cycle.js';
import { startFaultProxy, type Fault, type FaultProxy, type RequestInfo } from '../support/fault-proxy.js';
import { s3Client, testRgw } from '../support/rgw.js';
import { bucketsWithPrefix } from '../support/store.js';
import { testTarget } from '../support/targets.js';

let proxy: FaultProxy;
/** Query strings of the ListBuckets requests the proxy saw since the last reset. */
let asked: URLSearchParams[] = [];
const DECOYS = ['lb-decoy-0', 'lb-decoy-1', 'lb-decoy-2', 'lb-decoy-3', 'lb-decoy-4'];

function paginate(f: Omit<Extract<Fault, { kind: 'paginate-buckets' }>, 'kind' | 'match'>): Fault {
  return { kind: 'paginate-buckets', ...f, match: (r: RequestInfo) => r.operation === 'ListBuckets' && asked.push(new URLSearchParams(r.query)) > 0 };
}

before(async () => {
  proxy = await startFaultProxy({ upstream: testRgw().endpoint });
  const s3 = s3Client(testRgw());
  try {
    // other buckets of the same user that sort before the prober's: a page without the prefix shows them first
    for (const Bucket of DECOYS) await s3.send(new CreateBucketCommand({ Bucket })).catch(() => undefined);
  } finally {
    s3.destroy();
  }
});
after(async () => {
  await proxy?.close();
  const s3 = s3Client(testRgw());
  try {
    for (const Bucket of DECOYS) await s3.send(new DeleteBucketCommand({ Bucket })).catch(() => undefined);
  } finally {
    s3.destroy();
  }
});

async function cycle(prefix: string): Promise<CycleResult> {
  return (await testCycle({ endpoint: proxy.url, objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix }, batchSize: 2 } })).r;
}

const listings = (r: CycleResult) => r.operations.filter((o) => o.operation === 'ListBuckets');

describe('ListBuckets in the cycle', () => {
  test('RGW 16 ignores the parameters: the request is paginated and narrowed all the same, one listing, green', async () => {
    asked = [];
    proxy.setFault({ kind: 'delay', ms: 0, match: (r) => r.operation === 'ListBuckets' && asked.push(new URLSearchParams(r.query)) > 0 });
    const r = await cycle('lb-plain');
    assert.equal(r.success, true, JSON.stringify(r.operations.filter((o) => o.outcome !== 'success')));
    assert.equal(listings(r).length, 1);
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.get('max-buckets'), '1000');
    assert.match(asked[0]!.get('prefix') ?? '', /^lb-plain-[0-9a-f]{6}-\d{8}t\d{6}z-[0-9a-f]{6}$/, 'the prefix is the cycle\'s own bucket');
    assert.equal(asked[0]!.has('continuation-token'), false);
  });

  test('a server that honours prefix and max-buckets (AWS): one page holding the cycle\'s bucket', async () => {
    asked = [];
    proxy.setFault(paginate({ pageSize: 10_000, prefix: true }));
    const r = await cycle('lb-aws');
    assert.equal(r.success, true, JSON.stringify(r.operations.filter((o) => o.outcome !== 'success')));
    assert.equal(listings(r).length, 1);
    assert.equal(asked.length, 1);
  });

  test('a server that pages but ignores the prefix: pages read until the bucket shows, each page an operation', async () => {
    asked = [];
    proxy.setFault(paginate({ pageSize: 2, prefix: false }));
    const r = await cycle('lb-pages');
    assert.equal(r.success, true, JSON.stringify(r.operations.filter((o) => o.outcome !== 'success')));
    // the five decoys (and whatever else the user holds) sort before lb-pages-...: three pages at least
    assert.ok(listings(r).length >= 3, `${listings(r).length} ListBuckets pages`);
    assert.equal(asked.length, listings(r).length);
    assert.equal(asked[0]!.has('continuation-token'), false);
    for (const q of asked.slice(1)) assert.ok(q.get('continuation-token'), 'later pages carry the token');
    assert.ok(listings(r).every((o) => o.outcome === 'success'));
  });

  test('a listing that never ends (the same token back): integrity failure, bounded, nothing left', async () => {
    asked = [];
    proxy.setFault(paginate({ pageSize: 1, prefix: false, stuckToken: true }));
    const r = await cycle('lb-stuck');
    proxy.setFault(null);
    const failed = r.operations.filter((o) => o.outcome === 'failure');
    assert.deepEqual(failed.map((o) => `${o.operation}:${o.reason}`), ['ListBuckets:integrity']);
    assert.match(failed[0]!.message ?? '', /continuation token it was given/);
    assert.equal(asked.length, 2, 'stopped at the first repeated token');
    assert.equal(r.leftovers, 0);
    const s3 = s3Client(testRgw());
    try {
      assert.deepEqual(await bucketsWithPrefix(s3, 'lb-stuck'), []);
    } finally {
      s3.destroy();
    }
  });
});

describe('ListBuckets in the sweep', () => {
  test('leftover buckets spread over pages are all found and removed; others\' buckets never', async () => {
    const target = testTarget({ name: 'lb-sweeper', endpoint: proxy.url, objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'lb-sweep' } } });
    const s3 = s3Client(testRgw());
    const client = createTargetClient(target);
    const mine = [0, 1, 2].map((i) => ephemeralBucketName('lb-sweep', 'lb-sweeper', cycleId(new Date(Date.UTC(2026, 0, 1, 0, 0, i)))));
    const other = ephemeralBucketName('lb-sweep', 'another-target', cycleId(new Date(Date.UTC(2026, 0, 1))));
    try {
      for (const Bucket of [...mine, other]) await s3.send(new CreateBucketCommand({ Bucket }));
      for (const f of [paginate({ pageSize: 1, prefix: false }), paginate({ pageSize: 1, prefix: true })]) {
        asked = [];
        proxy.setFault(f);
        const res = await sweep(client.s3, target, { olderThanMs: 0, timeoutMs: 5000 });
        assert.deepEqual(res.errors, []);
        assert.deepEqual([...res.buckets].sort(), [...mine].sort(), 'every one of mine, over pages');
        assert.ok(asked.length >= mine.length, `${asked.length} pages of one bucket each`);
        assert.match(asked[0]!.get('prefix') ?? '', /^lb-sweep-[0-9a-f]{6}-$/);
        assert.deepEqual(await bucketsWithPrefix(s3, 'lb-sweep'), [other], 'the other target\'s bucket stays');
        for (const Bucket of mine) await s3.send(new CreateBucketCommand({ Bucket }));
      }
    } finally {
      proxy.setFault(null);
      for (const Bucket of [...mine, other]) await s3.send(new DeleteBucketCommand({ Bucket })).catch(() => undefined);
      client.destroy();
      s3.destroy();
    }
  });

  test('a listing that never ends: the sweep stops with an error and removes what it listed', async () => {
    const target = testTarget({ name: 'lb-sweeper', endpoint: proxy.url, objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'lb-swstuck' } } });
    const s3 = s3Client(testRgw());
    const client = createTargetClient(target);
    const mine = [0, 1].map((i) => ephemeralBucketName('lb-swstuck', 'lb-sweeper', cycleId(new Date(Date.UTC(2026, 0, 1, 0, 0, i)))));
    try {
      for (const Bucket of mine) await s3.send(new CreateBucketCommand({ Bucket }));
      asked = [];
      proxy.setFault(paginate({ pageSize: 1, prefix: true, stuckToken: true }));
      const res = await sweep(client.s3, target, { olderThanMs: 0, timeoutMs: 5000 });
      assert.equal(res.errors.length, 1, res.errors.join('; '));
      // the call, what it listed, and why
      assert.match(res.errors[0]!, /^ListBuckets lb-swstuck-[0-9a-f]{6}-: IntegrityError: .*continuation token it was given/);
      assert.equal(asked.length, 2);
      assert.deepEqual(res.buckets, [mine[0]], 'the first page\'s bucket was still removed');
    } finally {
      proxy.setFault(null);
      for (const Bucket of mine) await s3.send(new DeleteBucketCommand({ Bucket })).catch(() => undefined);
      client.destroy();
      s3.destroy();
    }
  });
});
