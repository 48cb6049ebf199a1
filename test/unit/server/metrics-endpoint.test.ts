// /metrics negotiation on a real socket: gzip only when the scraper accepts it, the text format
// from Accept, and the compressed body is the same exposition as the plain one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { Counter, Histogram, Registry } from 'prom-client';
import { createApp } from '../../../src/server/app.js';
import { StatusBoard } from '../../../src/server/status-board.js';

interface Got { status: number; headers: http.IncomingHttpHeaders; raw: Buffer }

function get(port: number, headers: Record<string, string>): Promise<Got> {
  return new Promise((resolve, reject) => {
    // node:http, not fetch: fetch would decompress and hide what went over the wire
    http.get({ host: '127.0.0.1', port, path: '/metrics', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test('/metrics: gzip when accepted (Prometheus\' own request headers), plain otherwise, same samples', async () => {
  const r = new Registry();
  const c = new Counter({ name: 'e_ops_total', help: 'Ops.', labelNames: ['target'], registers: [r] });
  const h = new Histogram({ name: 'e_seconds', help: 'Durations.', labelNames: ['target'], buckets: [0.01, 0.1, 1], registers: [r] });
  for (let i = 0; i < 500; i++) {
    c.inc({ target: `t${i}` }, i);
    h.observe({ target: `t${i}` }, i / 1000);
  }
  const app = createApp({ registries: () => [r], ready: () => true, status: () => new StatusBoard().build([], { up: false }, 'test') });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((res) => server.once('listening', res));
  const port = (server.address() as AddressInfo).port;
  try {
    const plain = await get(port, {});
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.match(String(plain.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(Number(plain.headers['content-length']), plain.raw.length);
    const text = plain.raw.toString('utf8');
    assert.match(text, /^e_ops_total\{target="t499"\} 499$/m);
    assert.match(text, /^e_seconds_bucket\{target="t42",le="0\.1"\} 1$/m);

    const identity = await get(port, { 'Accept-Encoding': 'identity' });
    assert.equal(identity.headers['content-encoding'], undefined);

    // what Prometheus sends (3.x defaults)
    const prom = await get(port, {
      Accept: 'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
      'Accept-Encoding': 'gzip',
    });
    assert.equal(prom.status, 200);
    assert.equal(prom.headers['content-encoding'], 'gzip');
    assert.match(String(prom.headers.vary), /Accept-Encoding/i);
    assert.match(String(prom.headers['content-type']), /^application\/openmetrics-text/);
    assert.equal(Number(prom.headers['content-length']), prom.raw.length);
    const unzipped = zlib.gunzipSync(prom.raw).toString('utf8');
    assert.ok(prom.raw.length * 4 < unzipped.length, `${prom.raw.length} compressed bytes for ${unzipped.length}`);
    assert.ok(unzipped.endsWith('# EOF\n'));
    // same samples: the OpenMetrics body minus its counter family lines equals the plain text's
    const samples = (s: string) => s.split('\n').filter((l) => l && !l.startsWith('#')).sort();
    assert.deepEqual(samples(unzipped), samples(text));

    const plainGzip = await get(port, { 'Accept-Encoding': 'gzip, deflate, br' });
    assert.equal(plainGzip.headers['content-encoding'], 'gzip');
    assert.equal(zlib.gunzipSync(plainGzip.raw).toString('utf8'), text);
  } finally {
    server.close();
  }
});
