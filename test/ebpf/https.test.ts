// HTTPS: operations are read from the TLS plaintext (uprobes on node's OpenSSL) and new
// connections get a TLS phase.
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, test } from 'node:test';
import { makeCert, request, startServer, type TestServer } from '../support/ebpf/servers.js';
import { startTestTracer, traced, type TestTracer } from '../support/ebpf/tracer.js';

let t: TestTracer;
let server: TestServer;

before(async () => {
  t = await startTestTracer();
  server = await startServer({ cert: makeCert() });
});
after(async () => {
  await t.tracer.close();
  await server.close();
});

const S3_REQUESTS: Array<{ operation: string; method: string; path: string; body?: Buffer }> = [
  { operation: 'CreateBucket', method: 'PUT', path: '/bucket' },
  { operation: 'PutObject', method: 'PUT', path: '/bucket/dir/key', body: Buffer.alloc(4096, 7) },
  { operation: 'HeadObject', method: 'HEAD', path: '/bucket/dir/key' },
  { operation: 'GetObject', method: 'GET', path: '/bucket/dir/key' },
  { operation: 'ListObjectsV2', method: 'GET', path: '/bucket?list-type=2&prefix=dir%2F' },
  { operation: 'CreateMultipartUpload', method: 'POST', path: '/b/k?uploads' },
  { operation: 'UploadPart', method: 'PUT', path: '/b/k?partNumber=1&uploadId=u1', body: Buffer.alloc(8192, 1) },
  { operation: 'CompleteMultipartUpload', method: 'POST', path: '/b/k?uploadId=u1', body: Buffer.from('<CompleteMultipartUpload/>') },
  { operation: 'DeleteObjects', method: 'POST', path: '/bucket?delete', body: Buffer.from('<Delete/>') },
  { operation: 'DeleteObject', method: 'DELETE', path: '/bucket/dir/key' },
  { operation: 'DeleteBucket', method: 'DELETE', path: '/bucket' },
];

test('uprobes on OpenSSL are attached', () => {
  assert.equal(t.tracer.up, true);
  assert.equal(t.tracer.status().uprobes, 9, JSON.stringify(t.tracer.status())); // SSL_{read,write}{,_ex} entry + return, SSL_free
});

test('keep-alive HTTPS: every operation detected from the plaintext; TLS phase only on the new connection', async () => {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (const [i, r] of S3_REQUESTS.entries()) {
      const x = await traced(t.tracer, 'tls', r.operation, () => request({ tls: true, port: server.port, method: r.method, path: r.path, agent, body: r.body, delayMs: 5 }));
      const w = x.wire;
      assert.ok(w, `${r.operation}: joined`);
      assert.equal(w.tls, true, r.operation);
      assert.equal(w.wireOperation?.candidates[0], r.operation, `${r.operation}: ${JSON.stringify(w.wireOperation)}`);
      assert.match(w.statusLine ?? '', /^HTTP\/1\.1 200/);
      assert.ok(w.phases.server! >= 0.005, `${r.operation}: server ${w.phases.server}`);
      assert.ok(x.clientWindowSeconds >= w.wireSeconds!, `${r.operation}: client >= wire`);
      if (i === 0) {
        assert.equal(w.newConnection, true);
        assert.ok(w.phases.connect! > 0, 'connect phase');
        assert.ok(w.phases.tls! > 0 && w.phases.tls! < 1, `tls phase ${w.phases.tls}`);
      } else {
        assert.equal(w.newConnection, false, r.operation);
        assert.equal(w.phases.tls, undefined, `${r.operation}: no TLS phase on a reused connection`);
      }
      if (r.body) assert.ok(w.bytesSent > r.body.length, `${r.operation}: ciphertext bytes sent ${w.bytesSent}`);
    }
  } finally {
    agent.destroy();
  }
});

test('a response held back D ms over a new TLS connection: server phase >= D, session tickets not taken for the response', async () => {
  const D = 60;
  const agent = new https.Agent({ keepAlive: false });
  const x = await traced(t.tracer, 'tls', 'GetObject', () => request({ tls: true, port: server.port, method: 'GET', path: '/bucket/key', agent, delayMs: D }));
  const w = x.wire;
  assert.ok(w, 'joined');
  assert.ok(w.phases.server! >= D / 1000, `server ${w.phases.server}`);
  assert.ok(w.phases.tls! > 0);
  assert.ok(x.clientWindowSeconds >= w.wireSeconds! + w.phases.tls! + w.phases.connect!, 'client covers connect + tls + wire');
});

test('TLS 1.2 (two handshake round trips): TLS phase and operation as with 1.3', async () => {
  const old = await startServer({ cert: makeCert(), maxTls: 'TLSv1.2' });
  const agent = new https.Agent({ keepAlive: true });
  try {
    const x = await traced(t.tracer, 'tls12', 'PutObject', () => request({ tls: true, port: old.port, method: 'PUT', path: '/bucket/key', agent, body: Buffer.alloc(2048), delayMs: 20 }));
    const w = x.wire;
    assert.ok(w, 'joined');
    assert.equal(w.wireOperation?.candidates[0], 'PutObject');
    assert.ok(w.phases.tls! > 0 && w.phases.tls! < 1, `tls ${w.phases.tls}`);
    assert.ok(w.phases.server! >= 0.02, `server ${w.phases.server}`);
    assert.match(w.statusLine ?? '', /^HTTP\/1\.1 200/);
  } finally {
    agent.destroy();
    await old.close();
  }
});
