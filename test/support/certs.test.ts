// Test certificates, served by the TLS fault proxy in front of the real RGW: the good one is
// accepted with the CA trusted, each bad one fails with its own, distinct TLS error.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { makeTestCerts, type CertPair, type TestCerts } from './certs.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { s3Client, testRgw } from './rgw.js';

let certs: TestCerts;
const proxies: FaultProxy[] = [];

before(async () => { certs = await makeTestCerts(); });
after(async () => {
  for (const p of proxies) await p.close();
  await certs.cleanup();
});

async function tlsProxy(pair: CertPair): Promise<FaultProxy> {
  const p = await startFaultProxy({ upstream: testRgw().endpoint, tls: { key: pair.key, cert: pair.cert } });
  proxies.push(p);
  return p;
}

/** Handshake only; resolves with the TLS error code, or 'ok'. */
function handshake(url: string, ca?: string): Promise<string> {
  return new Promise((resolve) => {
    const req = https.get(url, { ...(ca ? { ca } : {}), agent: false }, (res) => { res.resume(); resolve('ok'); });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

test('the CA-signed server cert is accepted with the CA trusted, and S3 works through it', async () => {
  const p = await tlsProxy(certs.server);
  assert.equal(await handshake(p.url, certs.ca.cert), 'ok');
  assert.equal(await handshake(p.url), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  const client = s3Client({ ...testRgw(), endpoint: p.url }, {
    requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca: certs.ca.cert }) }),
  });
  const out = await client.send(new ListBucketsCommand({}));
  assert.ok(Array.isArray(out.Buckets));
  client.destroy();
});

test('the self-signed cert is untrusted even with the CA trusted', async () => {
  const p = await tlsProxy(certs.untrusted);
  assert.equal(await handshake(p.url, certs.ca.cert), 'DEPTH_ZERO_SELF_SIGNED_CERT');
});

test('the expired cert fails on its dates only', async () => {
  const x = new X509Certificate(certs.expired.cert);
  assert.equal(new Date(x.validTo).toISOString(), '2021-01-01T00:00:00.000Z');
  assert.ok(x.checkIssued(new X509Certificate(certs.ca.cert)));
  assert.ok(x.checkIP('127.0.0.1'));
  const p = await tlsProxy(certs.expired);
  assert.equal(await handshake(p.url, certs.ca.cert), 'CERT_HAS_EXPIRED');
});

test('faults work over TLS too: reset-response ends the body with a reset', async () => {
  const p = await tlsProxy(certs.server);
  p.setFault({ kind: 'reset-response', afterBytes: 5 });
  // A raw TLS client: an RST surfaces as ECONNRESET on the socket, a FIN as 'end'.
  const outcome = await new Promise<string>((resolve) => {
    let n = 0;
    const sock = tls.connect({ host: '127.0.0.1', port: p.port, ca: certs.ca.cert },
      () => sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    sock.on('data', (c: Buffer) => { n += c.length; });
    sock.on('end', () => resolve(`FIN after ${n}`));
    sock.on('error', (e: NodeJS.ErrnoException) => resolve(`${e.code ?? e.message} after ${n}`));
  });
  assert.match(outcome, /^ECONNRESET after \d+$/);
});
