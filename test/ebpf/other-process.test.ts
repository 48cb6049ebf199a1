// Only this process is traced: a second node process doing HTTP and HTTPS to the same servers at
// the same time never shows up in the kernel's records.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { test } from 'node:test';
import { decodeBatch, type KernelExchange } from '../../src/ebpf/decoder.js';
import { openTracer } from '../../src/ebpf/native.js';
import { makeCert, request, startServer } from '../support/ebpf/servers.js';

// the other process: sequential keep-alive-less requests, prints each local port
const OTHER = `
const http = require('http'), https = require('https');
const [port, tlsPort, n] = process.argv.slice(1).map(Number);
(async () => {
  for (let i = 0; i < n; i++) {
    for (const [mod, p] of [[http, port], [https, tlsPort]]) {
      await new Promise((res, rej) => {
        const req = mod.request({ host: '127.0.0.1', port: p, method: 'PUT', path: '/other/key' + i, rejectUnauthorized: false, agent: false }, (r) => { r.resume(); r.on('end', res); });
        req.on('socket', (s) => s.on('connect', () => console.log(s.localPort)));
        req.on('error', rej);
        req.end('x');
      });
    }
  }
})();
`;

test('records of another process doing HTTP(S) at the same time never appear', async () => {
  const r = openTracer();
  assert.ok(r.ok, r.ok ? '' : r.reason);
  const seen: KernelExchange[] = [];
  r.tracer.onEvents((b) => decodeBatch(b, (e) => seen.push(e)));
  const plain = await startServer();
  const tls = await startServer({ cert: makeCert() });
  const N = 20;
  const child = spawn(process.execPath, ['-e', OTHER, String(plain.port), String(tls.port), String(N)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const childDone = new Promise<number | null>((res) => child.on('exit', res));
  const ours = new Set<number>();
  const agentH = new http.Agent({ keepAlive: false });
  const agentS = new https.Agent({ keepAlive: false });
  try {
    for (let i = 0; i < N; i++) {
      for (const [agent, port, isTls] of [[agentH, plain.port, false], [agentS, tls.port, true]] as const) {
        await new Promise<void>((res, rej) => {
          const mod = isTls ? https : http;
          const req = mod.request({ host: '127.0.0.1', port, method: 'GET', path: `/mine/key${i}`, agent, rejectUnauthorized: false }, (x) => {
            x.resume();
            x.on('end', () => res());
          });
          req.on('socket', (s) => s.on(isTls ? 'secureConnect' : 'connect', () => ours.add(s.localPort!)));
          req.on('error', rej);
          req.end();
        });
      }
    }
    assert.equal(await childDone, 0);
    r.tracer.drain();
    const theirs = out.trim().split('\n').map(Number);
    assert.equal(theirs.length, 2 * N, 'the other process made its requests');
    const seenPorts = new Set(seen.map((e) => e.localPort));
    // Ephemeral ports come back after a close, in either process: a port both used says nothing.
    for (const p of theirs) if (!ours.has(p)) assert.equal(seenPorts.has(p), false, `port ${p} of the other process was reported`);
    for (const p of ours) assert.equal(seenPorts.has(p), true, `our port ${p} was not reported`);
    const read = seen.filter((e) => e.request);
    for (const e of read) assert.match(e.request, /^GET \/mine\//, 'only our request lines');
    // an exchange may be reported again when its socket closes: count exchanges, not records
    assert.equal(new Set(read.map((e) => `${e.cookie}/${e.seq}`)).size, 2 * N, 'each of our requests read');
    assert.equal(await request({ port: plain.port, method: 'GET', path: '/x', agent: agentH }), 200, 'servers still fine');
  } finally {
    child.kill();
    agentH.destroy();
    agentS.destroy();
    r.tracer.close();
    await plain.close();
    await tls.close();
  }
});
