// The fault proxy against the real test RGW: pass-through is faithful and each fault does what
// the fault tests rely on.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand,
  ListBucketsCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { makeTestCerts } from './certs.js';
import { refusedEndpoint, startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { s3Client, testRgw } from './rgw.js';

const bucket = `fault-proxy-${Date.now()}`;
const payload = randomBytes(64 * 1024);
let proxy: FaultProxy;
let direct: S3Client;
let viaProxy: S3Client;

/** Raw GET through the proxy, to observe exactly what arrives on the wire. */
function rawGet(path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve, reject) => {
    let finish: ((error?: NodeJS.ErrnoException) => void) | undefined;
    const req = http.get(`${proxy.url}${path}`, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let settled = false;
      finish = (error) => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), ...(error ? { error } : {}) });
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish!());
      res.on('error', finish);
      res.on('aborted', () => finish!(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
    });
    // After the head arrived, a socket error belongs to the body; before, the request failed.
    req.on('error', (e) => (finish ? finish(e) : reject(e)));
  });
}

/** One GET on a raw TCP connection: how the connection ended tells RST (ECONNRESET) from FIN (end). */
function rawTcpGet(path: string): Promise<{ bytes: number; ended: string }> {
  return new Promise((resolve) => {
    const sock = net.connect(proxy.port, '127.0.0.1', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
    let bytes = 0;
    sock.on('data', (c: Buffer) => { bytes += c.length; });
    sock.on('end', () => resolve({ bytes, ended: 'FIN' }));
    sock.on('error', (e: NodeJS.ErrnoException) => resolve({ bytes, ended: e.code ?? e.message }));
  });
}

/** An S3 error as the SDK hands it over: its name and the HTTP status it came with. */
const s3Error = (name: string, status: number) => (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
  assert.equal(e.name, name);
  assert.equal(e.$metadata?.httpStatusCode, status);
  return true;
};

async function getBytes(client: S3Client, key: string): Promise<Buffer> {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

before(async () => {
  const target = testRgw();
  direct = s3Client(target);
  proxy = await startFaultProxy({ upstream: target.endpoint });
  viaProxy = s3Client({ ...target, endpoint: proxy.url });
  await direct.send(new CreateBucketCommand({ Bucket: bucket }));
  await direct.send(new PutObjectCommand({ Bucket: bucket, Key: 'obj', Body: payload }));
});

after(async () => {
  await proxy.close();
  const listed = await direct.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const o of listed.Contents ?? []) await direct.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
  await direct.send(new DeleteBucketCommand({ Bucket: bucket }));
  direct.destroy();
  viaProxy.destroy();
});

describe('pass-through', () => {
  test('PUT/GET/HEAD and a multipart upload arrive intact, over reused connections', async () => {
    proxy.setFault(null);
    const before = proxy.stats.connections;
    const body = randomBytes(300_000);
    await viaProxy.send(new PutObjectCommand({ Bucket: bucket, Key: 'pass', Body: body }));
    assert.deepEqual(await getBytes(viaProxy, 'pass'), body);
    const head = await viaProxy.send(new HeadObjectCommand({ Bucket: bucket, Key: 'pass' }));
    assert.equal(head.ContentLength, body.length);

    const part1 = randomBytes(5 * 1024 * 1024), part2 = randomBytes(1024);
    const { UploadId } = await viaProxy.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu' }));
    const e1 = await viaProxy.send(new UploadPartCommand({ Bucket: bucket, Key: 'mpu', UploadId, PartNumber: 1, Body: part1 }));
    const e2 = await viaProxy.send(new UploadPartCommand({ Bucket: bucket, Key: 'mpu', UploadId, PartNumber: 2, Body: part2 }));
    await viaProxy.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mpu', UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag! }, { PartNumber: 2, ETag: e2.ETag! }] } }));
    assert.deepEqual(await getBytes(direct, 'mpu'), Buffer.concat([part1, part2]));
    assert.ok(proxy.stats.connections - before <= 2, `keep-alive reused: ${proxy.stats.connections - before} new connections`);
    assert.equal(proxy.stats.byOperation.UploadPart, 2);
    assert.equal(proxy.stats.byOperation.CompleteMultipartUpload, 1);
  });
});

test('every canary operation is named as the S3 API names it', async () => {
  const p = await startFaultProxy({ upstream: testRgw().endpoint });
  const c = s3Client({ ...testRgw(), endpoint: p.url });
  const b = `${bucket}-ops`;
  try {
    await c.send(new CreateBucketCommand({ Bucket: b }));
    await c.send(new PutObjectCommand({ Bucket: b, Key: 'a', Body: 'x' }));
    await c.send(new HeadObjectCommand({ Bucket: b, Key: 'a' }));
    await getBytes(c, 'obj'); // bucket of the suite, any GetObject counts
    await c.send(new ListObjectsV2Command({ Bucket: b }));
    await c.send(new ListBucketsCommand({}));
    await c.send(new DeleteObjectCommand({ Bucket: b, Key: 'a' }));
    await c.send(new PutObjectCommand({ Bucket: b, Key: 'b', Body: 'x' }));
    await c.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: 'b' }] } }));
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'm' }));
    const part = await c.send(new UploadPartCommand({ Bucket: b, Key: 'm', UploadId, PartNumber: 1, Body: 'x' }));
    await c.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'm', UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] } }));
    await c.send(new DeleteObjectCommand({ Bucket: b, Key: 'm' }));
    const second = await c.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'n' }));
    await c.send(new AbortMultipartUploadCommand({ Bucket: b, Key: 'n', UploadId: second.UploadId }));
    await c.send(new DeleteBucketCommand({ Bucket: b }));
    assert.deepEqual(p.stats.byOperation, {
      CreateBucket: 1, PutObject: 2, HeadObject: 1, GetObject: 1, ListObjectsV2: 1, ListBuckets: 1,
      DeleteObject: 2, DeleteObjects: 1, CreateMultipartUpload: 2, UploadPart: 1, CompleteMultipartUpload: 1,
      AbortMultipartUpload: 1, DeleteBucket: 1,
    });
  } finally {
    c.destroy();
    await p.close();
  }
});

test('ListMultipartUploads, ListObjectsV2, DeleteObjects and DeleteObject are told apart', async () => {
  proxy.setFault(null);
  await direct.send(new PutObjectCommand({ Bucket: bucket, Key: 'apart', Body: 'x' }));
  await viaProxy.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  await viaProxy.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'apart' }));
  await viaProxy.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'apart' }] } }));
  await viaProxy.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'apart' }));
  assert.deepEqual(proxy.stats.log.slice(-4).map((r) => `${r.method} ${r.path} ${r.operation}`), [
    `GET /${bucket}/ ListMultipartUploads`, `GET /${bucket}/ ListObjectsV2`,
    `POST /${bucket}/ DeleteObjects`, `DELETE /${bucket}/apart DeleteObject`,
  ]);
});

describe('faults', () => {
  test('delay holds only the matching operation for at least D ms', async () => {
    proxy.setFault({ kind: 'delay', ms: 150, match: { operation: 'GetObject' } });
    let t = performance.now();
    await getBytes(viaProxy, 'obj');
    const delayed = performance.now() - t;
    t = performance.now();
    await viaProxy.send(new HeadObjectCommand({ Bucket: bucket, Key: 'obj' }));
    const head = performance.now() - t;
    assert.ok(delayed >= 150 && delayed < 1000, `GetObject took ${delayed} ms`);
    assert.ok(head < 100, `HeadObject took ${head} ms`);
  });

  test('corrupt flips exactly count bytes and keeps the length', async () => {
    proxy.setFault({ kind: 'corrupt', offset: 1000, count: 3, match: { operation: 'GetObject' } });
    const got = await getBytes(viaProxy, 'obj');
    assert.equal(got.length, payload.length);
    const diff = [...got.keys()].filter((i) => got[i] !== payload[i]);
    assert.deepEqual(diff, [1000, 1001, 1002]);
  });

  test('status answers with the S3 error XML without reaching RGW', async () => {
    const cases = [[503, 'SlowDown'], [429, 'TooManyRequests'], [500, 'InternalError'], [403, 'AccessDenied']] as const;
    for (const [status, code] of cases) {
      proxy.setFault({ kind: 'status', status, match: { operation: 'PutObject' } });
      await assert.rejects(viaProxy.send(new PutObjectCommand({ Bucket: bucket, Key: 'never', Body: payload })),
        (e: Error & { $metadata?: { httpStatusCode?: number } }) => e.name === code && e.$metadata?.httpStatusCode === status);
    }
    proxy.setFault({ kind: 'status', status: 503 });
    const raw = await rawGet(`/${bucket}/obj`);
    assert.equal(raw.status, 503);
    assert.match(raw.body.toString(), /^<\?xml[^>]*>\s*<Error><Code>SlowDown<\/Code><Message>.+<\/Message><Resource>\/.+<\/RequestId>/s);
    proxy.setFault(null);
    await assert.rejects(direct.send(new HeadObjectCommand({ Bucket: bucket, Key: 'never' })), { name: 'NotFound' });
  });

  test('status 501 and 405 (a server without the API) reach the SDK as NotImplemented and MethodNotAllowed', async () => {
    proxy.setFault([
      { kind: 'status', status: 501, match: { operation: ['ListMultipartUploads', 'DeleteObjects'] } },
      { kind: 'status', status: 405, match: { operation: 'AbortMultipartUpload' } },
    ]);
    const faultedBefore = proxy.stats.faulted;
    await assert.rejects(viaProxy.send(new ListMultipartUploadsCommand({ Bucket: bucket })), s3Error('NotImplemented', 501));
    const listed = await viaProxy.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'obj' }));
    assert.deepEqual(listed.Contents?.map((o) => o.Key), ['obj']);

    await direct.send(new PutObjectCommand({ Bucket: bucket, Key: 'batch', Body: 'x' }));
    await assert.rejects(viaProxy.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'batch' }] } })),
      s3Error('NotImplemented', 501));
    assert.equal((await direct.send(new HeadObjectCommand({ Bucket: bucket, Key: 'batch' }))).ContentLength, 1, 'the refused batch deleted nothing');
    await viaProxy.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'batch' }));
    await assert.rejects(direct.send(new HeadObjectCommand({ Bucket: bucket, Key: 'batch' })), { name: 'NotFound' });

    const { UploadId } = await direct.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu-405' }));
    try {
      await assert.rejects(viaProxy.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'mpu-405', UploadId })),
        s3Error('MethodNotAllowed', 405));
      const uploads = await direct.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      assert.deepEqual(uploads.Uploads?.map((u) => u.UploadId), [UploadId], 'the refused abort left the upload');
    } finally {
      await direct.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'mpu-405', UploadId }));
    }
    assert.equal(proxy.stats.faulted - faultedBefore, 3);
    assert.deepEqual(proxy.stats.log.slice(-5).map((r) => `${r.operation} ${r.fault ?? '-'}`), [
      'ListMultipartUploads status', 'ListObjectsV2 -', 'DeleteObjects status', 'DeleteObject -', 'AbortMultipartUpload status',
    ]);
  });

  test('stall reads the request and never answers; the client times out', async () => {
    proxy.setFault({ kind: 'stall' });
    const t = performance.now();
    await assert.rejects(viaProxy.send(new GetObjectCommand({ Bucket: bucket, Key: 'obj' }), { abortSignal: AbortSignal.timeout(300) }));
    const took = performance.now() - t;
    assert.ok(took >= 290 && took < 2000, `gave up after ${took} ms`);
  });

  test('reset-request RSTs mid-upload and nothing is stored', async () => {
    proxy.setFault({ kind: 'reset-request', afterBytes: 16 * 1024, match: { operation: 'PutObject' } });
    await assert.rejects(viaProxy.send(new PutObjectCommand({ Bucket: bucket, Key: 'reset', Body: payload })),
      (e: NodeJS.ErrnoException) => ['ECONNRESET', 'EPIPE'].includes(e.code ?? '') || /socket hang up|ECONNRESET|EPIPE/.test(e.message));
    proxy.setFault(null);
    await assert.rejects(direct.send(new HeadObjectCommand({ Bucket: bucket, Key: 'reset' })), { name: 'NotFound' });
  });

  test('reset-response sends the head and part of the body, then RST', async () => {
    proxy.setFault({ kind: 'reset-response', afterBytes: 10 });
    const r = await rawGet(`/${bucket}/obj`);
    assert.equal(r.status, 403); // unsigned request: RGW's own answer, cut short
    assert.equal(r.body.length, 10);
    assert.ok(r.error, 'body ended with an error');
    const tcp = await rawTcpGet(`/${bucket}/obj`);
    assert.equal(tcp.ended, 'ECONNRESET');
    assert.ok(tcp.bytes > 10, 'the head and 10 body bytes arrived before the reset');
    proxy.setFault({ kind: 'reset-response', afterBytes: 10_000, match: { operation: 'GetObject' } });
    const got = await viaProxy.send(new GetObjectCommand({ Bucket: bucket, Key: 'obj' }));
    assert.equal(got.ContentLength, payload.length);
    await assert.rejects(got.Body!.transformToByteArray(), (e: NodeJS.ErrnoException) =>
      e.code === 'ECONNRESET' || /aborted|ECONNRESET/.test(e.message));
  });

  test('truncate keeps Content-Length and closes early', async () => {
    proxy.setFault({ kind: 'truncate', afterBytes: 20_000, match: { operation: 'GetObject' } });
    const got = await viaProxy.send(new GetObjectCommand({ Bucket: bucket, Key: 'obj' }));
    assert.equal(got.ContentLength, payload.length);
    const err = await got.Body!.transformToByteArray().then(() => undefined, (e: Error) => e);
    assert.ok(err, 'a truncated body must not read as complete');
    proxy.setFault({ kind: 'truncate', afterBytes: 10 });
    assert.equal((await rawTcpGet(`/${bucket}/obj`)).ended, 'FIN', 'truncate closes politely, no reset');
  });

  test('trickle paces the body at bytesPerSecond and keeps it intact', async () => {
    await direct.send(new PutObjectCommand({ Bucket: bucket, Key: 'small', Body: payload.subarray(0, 4096) }));
    proxy.setFault({ kind: 'trickle', bytesPerSecond: 8192, match: { operation: 'GetObject' } });
    const t = performance.now();
    const got = await getBytes(viaProxy, 'small');
    const took = performance.now() - t;
    assert.deepEqual(got, payload.subarray(0, 4096));
    assert.ok(took >= 450 && took < 1500, `4 KiB at 8 KiB/s took ${took} ms`);
  });

  test('times limits a fault to the first N matching requests', async () => {
    proxy.setFault({ kind: 'status', status: 500, times: 2, match: { method: 'GET' } });
    const faultedBefore = proxy.stats.faulted;
    const results = [];
    for (let i = 0; i < 4; i++) {
      results.push(await getBytes(viaProxy, 'obj').then(() => 'ok', (e: Error) => e.name));
    }
    assert.deepEqual(results, ['InternalError', 'InternalError', 'ok', 'ok']);
    assert.equal(proxy.stats.faulted - faultedBefore, 2);
    assert.deepEqual(proxy.stats.log.slice(-4).map((r) => `${r.operation} ${r.path} ${r.fault ?? '-'}`),
      [...Array(2).fill(`GetObject /${bucket}/obj status`), ...Array(2).fill(`GetObject /${bucket}/obj -`)]);
  });
});

describe('connection faults', () => {
  test('plain-http: https:// to a plain HTTP server fails in the handshake, the next connection works, RGW saw nothing', async () => {
    const certs = await makeTestCerts();
    const tlsProxy = await startFaultProxy({ upstream: testRgw().endpoint, tls: { key: certs.server.key, cert: certs.server.cert } });
    const client = s3Client({ ...testRgw(), endpoint: tlsProxy.url }, {
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca: certs.ca.cert, keepAlive: true }) }),
    });
    const put = () => client.send(new PutObjectCommand({ Bucket: bucket, Key: 'over-tls', Body: payload }));
    try {
      tlsProxy.setFault({ kind: 'plain-http', times: 2 });
      for (let i = 0; i < 2; i++) {
        // OpenSSL reads "HTTP/1.1 400" where a TLS record header belongs (Node 20: `write EPROTO
        // ...:SSL routines:ssl3_get_record:wrong version number`)
        await assert.rejects(put(), (e: NodeJS.ErrnoException) => {
          assert.equal(e.code, 'EPROTO', e.stack);
          assert.match(e.message, /wrong version number/);
          return true;
        });
      }
      assert.deepEqual({ connectionFaults: tlsProxy.stats.connectionFaults, requests: tlsProxy.stats.requests, connections: tlsProxy.stats.connections },
        { connectionFaults: 2, requests: 0, connections: 0 });
      await assert.rejects(direct.send(new HeadObjectCommand({ Bucket: bucket, Key: 'over-tls' })), { name: 'NotFound' });

      await put();
      assert.deepEqual(await getBytes(direct, 'over-tls'), payload);
      assert.deepEqual({ connectionFaults: tlsProxy.stats.connectionFaults, byOperation: tlsProxy.stats.byOperation, connections: tlsProxy.stats.connections },
        { connectionFaults: 2, byOperation: { PutObject: 1 }, connections: 1 });
    } finally {
      client.destroy();
      await tlsProxy.close();
      await certs.cleanup();
    }
  });

  test('plain-http: what a client reads on the wire, and the mistakes setFault refuses', async () => {
    const certs = await makeTestCerts();
    const tlsProxy = await startFaultProxy({ upstream: testRgw().endpoint, tls: { key: certs.server.key, cert: certs.server.cert } });
    try {
      tlsProxy.setFault({ kind: 'plain-http', times: 1 });
      // a TLS ClientHello's first bytes, then what comes back and how the connection ends
      const got = await new Promise<{ text: string; ended: string }>((resolve) => {
        const sock = net.connect(tlsProxy.port, '127.0.0.1', () => sock.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00])));
        let text = '';
        sock.on('data', (c: Buffer) => { text += c.toString('latin1'); });
        sock.on('end', () => { resolve({ text, ended: 'FIN' }); sock.end(); });
        sock.on('error', (e: NodeJS.ErrnoException) => resolve({ text, ended: e.code ?? e.message }));
      });
      assert.deepEqual(got, { text: 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n', ended: 'FIN' });
      for (const end = Date.now() + 2000; tlsProxy.stats.openConnections > 0 && Date.now() < end;) await new Promise((r) => setTimeout(r, 10));
      assert.equal(tlsProxy.stats.openConnections, 0, 'the proxy closed its side too');

      assert.throws(() => tlsProxy.setFault({ kind: 'plain-http', match: { operation: 'GetObject' } } as never), /no match/);
      assert.throws(() => proxy.setFault({ kind: 'plain-http' }), /start the proxy with tls/);
    } finally {
      proxy.setFault(null);
      await tlsProxy.close();
      await certs.cleanup();
    }
  });
});

describe('lifecycle', () => {
  test('close() ends stalled and idle client connections', async () => {
    const p = await startFaultProxy({ upstream: testRgw().endpoint });
    p.setFault({ kind: 'stall' });
    const pending = new Promise<string>((resolve) => {
      http.get(`${p.url}/`, { agent: false }, () => resolve('answered')).on('error', (e) => resolve(e.message));
    });
    while (p.stats.requests === 0) await new Promise((r) => setTimeout(r, 10));
    assert.equal(p.stats.openConnections, 1);
    await p.close();
    assert.match(await pending, /socket hang up|ECONNRESET/);
    assert.equal(p.stats.openConnections, 0);
  });

  test('refusedEndpoint refuses connections', async () => {
    const { url } = await refusedEndpoint();
    await assert.rejects(fetch(url), (e: Error & { cause?: { code?: string } }) => e.cause?.code === 'ECONNREFUSED');
  });
});
