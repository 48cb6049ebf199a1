// Plain HTTP on loopback with the tracer attached to this process (real kernel, root).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WIRE_METRICS } from '../../src/metrics/names.js';
import type { RequestTrace } from '../../src/results/request-trace.js';
import { WIRE_RESULT_DELAY_MS } from '../../src/results/wire.js';
import { markRequestStart, withRequestScope } from '../../src/s3/instrument.js';
import { request, startServer, type TestServer } from '../support/ebpf/servers.js';
import { joinedWire, metricValue, startTestTracer, traced, type TestTracer } from '../support/ebpf/tracer.js';

let t: TestTracer;
let server: TestServer;

before(async () => {
  t = await startTestTracer();
  server = await startServer();
});
after(async () => {
  await t.tracer.close();
  await server.close();
});

test('the tracer is up and says so once', async () => {
  assert.equal(t.tracer.up, true, JSON.stringify(t.logs));
  assert.equal(t.tracer.status().hooks, 'tp_btf');
  assert.equal(await metricValue(t.registry, WIRE_METRICS.ebpfUp), 1);
  assert.equal(t.logs.filter((l) => /eBPF wire tracer/.test(l.msg)).length, 1);
});

test('a response held back D ms: server phase >= D and client >= wire, on new and reused connections', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const D = 40;
  try {
    const first = await traced(t.tracer, 'loop', 'GetObject', () => request({ port: server.port, method: 'GET', path: '/bucket/key', agent, delayMs: D }));
    const second = await traced(t.tracer, 'loop', 'GetObject', () => request({ port: server.port, method: 'GET', path: '/bucket/key', agent, delayMs: D }));
    for (const [name, r] of [['first', first], ['second', second]] as const) {
      const w = r.wire;
      assert.ok(w, `${name}: joined to the wire`);
      assert.ok(w.phases.server! >= D / 1000, `${name}: server ${w.phases.server} >= ${D / 1000}`);
      assert.ok(w.wireSeconds! >= w.phases.server!, `${name}: wire >= server`);
      assert.ok(r.clientWindowSeconds >= w.wireSeconds!, `${name}: client ${r.clientWindowSeconds} >= wire ${w.wireSeconds}`);
      assert.ok(w.overheadSeconds! >= 0);
      assert.equal(w.wireOperation?.candidates[0], 'GetObject');
      assert.equal(w.tls, false);
      assert.equal(w.phases.tls, undefined, 'no TLS phase on plain HTTP');
      assert.ok(w.bytesSent > 0 && w.bytesReceived > 0);
    }
    assert.equal(first.trace.reused, false);
    assert.equal(first.wire!.newConnection, true);
    assert.ok(first.wire!.phases.connect! > 0 && first.wire!.phases.connect! < 0.5, `connect ${first.wire!.phases.connect}`);
    assert.ok(first.wire!.handshakeRttSeconds! > 0);
    assert.equal(second.trace.reused, true);
    assert.equal(second.wire!.newConnection, false);
    assert.equal(second.wire!.phases.connect, undefined, 'no connect phase on a reused connection');
  } finally {
    agent.destroy();
  }
});

test('new connection per request (no keep-alive) gets its own connect phase each time', async () => {
  const agent = new http.Agent({ keepAlive: false });
  for (let i = 0; i < 3; i++) {
    const r = await traced(t.tracer, 'loop', 'PutObject', () => request({ port: server.port, method: 'PUT', path: `/bucket/obj-${i}`, agent, body: Buffer.alloc(4096, 1) }));
    assert.ok(r.wire, 'joined');
    assert.equal(r.wire.newConnection, true);
    assert.ok(r.wire.phases.connect !== undefined);
    assert.equal(r.wire.wireOperation?.candidates[0], 'PutObject');
    assert.ok(r.wire.bytesSent >= 4096, `sent ${r.wire.bytesSent}`);
  }
});

test('a large response: transfer phase covers the body and bytes match', async () => {
  const agent = new http.Agent({ keepAlive: true });
  try {
    const size = 8 * 1024 * 1024;
    const r = await traced(t.tracer, 'loop', 'GetObject', () => request({ port: server.port, method: 'GET', path: '/bucket/big', agent, size }));
    assert.ok(r.wire);
    assert.ok(r.wire.bytesReceived >= size, `received ${r.wire.bytesReceived}`);
    assert.ok(r.wire.phases.transfer! > 0);
    assert.ok(r.clientWindowSeconds >= r.wire.wireSeconds!);
  } finally {
    agent.destroy();
  }
});

test('Expect: 100-continue: the interim response and the body join one request; server phase counts from the body', async () => {
  const agent = new http.Agent({ keepAlive: true });
  try {
    const D = 30;
    const body = Buffer.alloc(64 * 1024, 3);
    const r = await traced(t.tracer, 'loop', 'PutObject', () => request({ port: server.port, method: 'PUT', path: '/bucket/big-put', agent, body, expectContinue: true, delayMs: D }));
    const w = r.wire;
    assert.ok(w, 'joined');
    assert.equal(w.wireOperation?.candidates[0], 'PutObject');
    assert.ok(w.bytesSent >= body.length, `sent ${w.bytesSent}`);
    assert.ok(w.phases.server! >= D / 1000, `server ${w.phases.server}`);
    assert.ok(w.phases.request! > 0, 'request phase spans headers, the 100 and the body');
    assert.ok(w.wireSeconds! + 1e-9 >= w.phases.server! + w.phases.request!); // float sums
    // the trace's own start is stamped at end(), after the 100 Continue: see Traced
    assert.ok(r.clientWindowSeconds >= w.wireSeconds!);
  } finally {
    agent.destroy();
  }
});

test('a wire operation different from the client operation is counted', async () => {
  const agent = new http.Agent({ keepAlive: true });
  try {
    const r = await traced(t.tracer, 'loop', 'HeadObject', () => request({ port: server.port, method: 'DELETE', path: '/bucket/key', agent }));
    assert.equal(r.wire?.wireOperation?.candidates[0], 'DeleteObject');
    assert.equal(await metricValue(t.registry, WIRE_METRICS.mismatches, { operation: 'HeadObject', wire_operation: 'DeleteObject' }), 1);
  } finally {
    agent.destroy();
  }
});

test('every wire family is exported with its labels', async () => {
  const text = await t.registry.metrics();
  for (const name of Object.values(WIRE_METRICS)) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  assert.match(text, /s3prober_wire_duration_seconds_count\{target="loop",operation="GetObject"\} [1-9]/);
  for (const phase of ['connect', 'request', 'server', 'transfer']) {
    assert.match(text, new RegExp(`s3prober_wire_phase_duration_seconds_count\\{target="loop",phase="${phase}"\\} [1-9]`), phase);
  }
  assert.match(text, /s3prober_wire_bytes_total\{target="loop",direction="received"\} [1-9]/);
  assert.match(text, /s3prober_tcp_rtt_seconds_count\{target="loop",source="min"\} [1-9]/);
  assert.match(text, /s3prober_ebpf_events_total [1-9]/);
  assert.match(text, /s3prober_ebpf_events_dropped_total 0/);
});

test('the status view holds the wire timing of exactly the request it joined', async () => {
  const agent = new http.Agent({ keepAlive: false });
  try {
    const r = await traced(t.tracer, 'loop', 'GetObject', () => request({ port: server.port, method: 'GET', path: '/bucket/key', agent }));
    assert.ok(r.wire, 'joined');
    assert.equal(t.view.timingOf(r.trace), r.wire);
    assert.equal(t.view.timingOf({ ...r.trace }), undefined, 'another request with the same fields is not it');
  } finally {
    agent.destroy();
  }
});

test('queued requests are joined together after the batch delay, each to its own exchange on a reused socket', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const traces: RequestTrace[] = [];
  const delays = [5, 40, 15, 25];
  const warn = t.logs.length;
  try {
    for (const [i, d] of delays.entries()) {
      await withRequestScope({ target: 'batch', operation: 'GetObject', traces, onTrace: (x) => t.tracer.queue(x) }, async () => {
        markRequestStart();
        await request({ port: server.port, method: 'GET', path: `/bucket/key-${i}`, agent, delayMs: d });
      });
    }
    await new Promise((r) => setImmediate(r));
    assert.equal(traces.length, delays.length);
    assert.equal(t.view.timingOf(traces[0]!), undefined, 'not joined before the batch runs');
    await sleep(WIRE_RESULT_DELAY_MS + 50);
    for (const [i, d] of delays.entries()) {
      const w = t.view.timingOf(traces[i]!);
      assert.ok(w, `request ${i} joined`);
      assert.equal(w.wireOperation?.path, `/bucket/key-${i}`, `request ${i}: its own exchange`);
      assert.equal(w.newConnection, i === 0, `request ${i}: one socket for all`);
      assert.ok(w.phases.server! >= d / 1000 && w.phases.server! < d / 1000 + 0.03, `request ${i}: server ${w.phases.server} for a ${d} ms hold`);
    }
    assert.deepEqual(t.logs.slice(warn).filter((l) => l.level >= 40), [], 'no warnings');
  } finally {
    agent.destroy();
  }
});

test('closing the tracer joins what it still had queued', async () => {
  const own = await startTestTracer();
  const agent = new http.Agent({ keepAlive: false });
  const traces: RequestTrace[] = [];
  try {
    await withRequestScope({ target: 'close', operation: 'GetObject', traces, onTrace: (x) => own.tracer.queue(x) }, async () => {
      markRequestStart();
      await request({ port: server.port, method: 'GET', path: '/bucket/key', agent });
    });
    await new Promise((r) => setImmediate(r));
    await own.tracer.close();
    assert.ok(own.view.timingOf(traces[0]!), 'joined at close');
  } finally {
    agent.destroy();
    await own.tracer.close();
  }
});

test('IPv6 loopback works the same', async () => {
  const v6 = await startServer({ host: '::1' });
  const agent = new http.Agent({ keepAlive: false });
  try {
    const r = await traced(t.tracer, 'v6', 'GetObject', () => request({ host: '::1', port: v6.port, method: 'GET', path: '/bucket/key', agent, delayMs: 10 }));
    assert.ok(r.wire, 'joined');
    assert.ok(r.wire.phases.server! >= 0.01);
    assert.ok(r.wire.phases.connect! > 0);
    assert.equal(r.wire.wireOperation?.candidates[0], 'GetObject');
  } finally {
    agent.destroy();
    await v6.close();
  }
});

test('the raw_tp fallback hook set measures the same things', async () => {
  const fb = await startTestTracer({ hooks: 'raw_tp' });
  const agent = new http.Agent({ keepAlive: true });
  try {
    assert.equal(fb.tracer.status().hooks, 'raw_tp');
    const r = await traced(fb.tracer, 'loop', 'ListObjectsV2', () => request({ port: server.port, method: 'GET', path: '/bucket?list-type=2', agent, delayMs: 20 }));
    assert.ok(r.wire, 'joined');
    assert.ok(r.wire.phases.server! >= 0.02);
    assert.ok(r.wire.phases.connect! > 0);
    assert.equal(r.wire.wireOperation?.candidates[0], 'ListObjectsV2');
    // sockets are keyed by address there, and a closed socket's address is soon reused: each new
    // connection is still adopted afresh, with its own connect time
    const fresh = new http.Agent({ keepAlive: false });
    try {
      for (let i = 0; i < 20; i++) {
        const n = await traced(fb.tracer, 'loop', 'HeadObject', () => request({ port: server.port, method: 'HEAD', path: '/bucket/key', agent: fresh }));
        const w = await joinedWire(fb, n, `connection ${i}`);
        assert.equal(w.newConnection, true, `connection ${i}`);
        assert.ok(w.phases.connect! > 0, `connection ${i}: connect ${w.phases.connect}`);
      }
    } finally {
      fresh.destroy();
    }
  } finally {
    agent.destroy();
    await fb.tracer.close();
  }
});
