// The target's S3 client: the SDK's middleware stack resolved once per command class
// (cacheMiddleware), with each send's abort signal still reaching its own request.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { createTargetClient, type TargetClient } from '../../src/s3/client.js';
import { withRequestScope } from '../../src/s3/instrument.js';
import type { RequestTrace } from '../../src/results/request-trace.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { testTarget } from '../support/targets.js';

const Bucket = 'client-cache-test';
let proxy: FaultProxy;
let client: TargetClient;

before(async () => {
  proxy = await startFaultProxy({ upstream: testTarget().endpoint });
  client = createTargetClient(testTarget({ endpoint: proxy.url }));
  await client.s3.send(new CreateBucketCommand({ Bucket }), { abortSignal: AbortSignal.timeout(5000) });
});
after(async () => {
  proxy.setFault(null);
  for (let i = 0; i < 20; i++) await client.s3.send(new DeleteObjectCommand({ Bucket, Key: `k${i}` }), { abortSignal: AbortSignal.timeout(5000) }).catch(() => undefined);
  await client.s3.send(new DeleteBucketCommand({ Bucket }), { abortSignal: AbortSignal.timeout(5000) }).catch(() => undefined);
  client.destroy();
  await proxy.close();
});

test('each command class resolves its middleware once, however many sends with an abort signal', async () => {
  const resolved = new Map<string, number>();
  const restore: Array<() => void> = [];
  for (const C of [PutObjectCommand, HeadObjectCommand]) {
    const orig = C.prototype.resolveMiddleware;
    C.prototype.resolveMiddleware = function (this: typeof C.prototype, ...a: Parameters<typeof orig>) {
      resolved.set(C.name, (resolved.get(C.name) ?? 0) + 1);
      return orig.apply(this, a);
    } as typeof orig;
    restore.push(() => { C.prototype.resolveMiddleware = orig; });
  }
  try {
    for (let i = 0; i < 5; i++) {
      await client.s3.send(new PutObjectCommand({ Bucket, Key: `k${i}`, Body: `body ${i}` }), { abortSignal: AbortSignal.timeout(5000) });
      const h = await client.s3.send(new HeadObjectCommand({ Bucket, Key: `k${i}` }), { abortSignal: AbortSignal.timeout(5000) });
      assert.equal(h.ContentLength, `body ${i}`.length);
    }
    // the class may have been resolved by an earlier send of this client: at most once, never per send
    assert.ok((resolved.get('PutObjectCommand') ?? 0) <= 1, JSON.stringify([...resolved]));
    assert.ok((resolved.get('HeadObjectCommand') ?? 0) <= 1, JSON.stringify([...resolved]));
    assert.ok(proxy.stats.byOperation.PutObject! >= 5);
  } finally {
    for (const r of restore) r();
  }
});

test('concurrent sends of one class on one client: each request its own bucket, key and body', async () => {
  await Promise.all(Array.from({ length: 20 }, (_, i) =>
    client.s3.send(new PutObjectCommand({ Bucket, Key: `k${i}`, Body: `value of k${i}` }), { abortSignal: AbortSignal.timeout(5000) })));
  const bodies = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
    const r = await client.s3.send(new GetObjectCommand({ Bucket, Key: `k${i}` }), { abortSignal: AbortSignal.timeout(5000) });
    return r.Body!.transformToString();
  }));
  assert.deepEqual(bodies, Array.from({ length: 20 }, (_, i) => `value of k${i}`));
});

test('a send\'s abort signal aborts its request, and only its own', async () => {
  proxy.setFault({ kind: 'stall', match: { operation: 'GetObject', path: `/${Bucket}/k0` } });
  try {
    const traces: RequestTrace[] = [];
    const t0 = Date.now();
    const stalled = withRequestScope({ target: 't', operation: 'GetObject', traces }, () =>
      client.s3.send(new GetObjectCommand({ Bucket, Key: 'k0' }), { abortSignal: AbortSignal.timeout(300) }));
    // a send that starts meanwhile, with its own signal, is not aborted with it
    const other = client.s3.send(new HeadObjectCommand({ Bucket, Key: 'k1' }), { abortSignal: AbortSignal.timeout(5000) });
    await assert.rejects(stalled, (e: Error) => /abort/i.test(`${e.name} ${e.message}`));
    const took = Date.now() - t0;
    assert.ok(took >= 290 && took < 2000, `aborted after ${took} ms`);
    assert.equal((await other).ContentLength, 'value of k1'.length);
    assert.equal(traces.length, 1, 'the request was issued inside its scope');
    for (let i = 0; i < 50 && traces[0]!.endNs === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(traces[0]!.error, `and ended aborted: ${JSON.stringify(traces[0], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  } finally {
    proxy.setFault(null);
  }
});

test('a send with other options goes to the SDK as given', async () => {
  const r = await client.s3.send(new HeadObjectCommand({ Bucket, Key: 'k2' }), { abortSignal: AbortSignal.timeout(5000), requestTimeout: 5000 });
  assert.equal(r.ContentLength, 'value of k2'.length);
});
