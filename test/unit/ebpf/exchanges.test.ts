// Exchange assembly and correlation on synthetic kernel records (no kernel needed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeWire } from '../../../src/ebpf/correlate.js';
import type { KernelExchange } from '../../../src/ebpf/decoder.js';
import { ExchangeStore } from '../../../src/ebpf/exchanges.js';
import type { RequestTrace } from '../../../src/results/request-trace.js';

const MS = 1_000_000n;

function ex(p: Partial<KernelExchange>): KernelExchange {
  return {
    closed: false, tsNs: 0n, cookie: 1n, tls: false, synNs: 0n, establishedNs: 0n, tlsStartNs: 0n, tlsEndNs: 0n,
    reqFirstNs: 0n, reqLastNs: 0n, respFirstNs: 0n, respLastNs: 0n, bytesSent: 0, bytesReceived: 0, seq: 0,
    retransmits: 0, srttUs: 0, minRttUs: 0, localPort: 40000, remotePort: 80, remoteAddress: '127.0.0.1',
    request: '', response: '', ...p,
  };
}

function trace(p: Partial<RequestTrace>): RequestTrace {
  return { target: 't', operation: 'PutObject', method: 'PUT', protocol: 'http:', reused: false, startNs: 0n, phases: {}, bytesSent: 0, bytesReceived: 0, localPort: 40000, remotePort: 80, ...p };
}

test('the newest snapshot of an exchange wins, and a claimed exchange is not taken again', () => {
  const s = new ExchangeStore();
  s.add(ex({ tsNs: 12n * MS, reqFirstNs: 10n * MS, reqLastNs: 10n * MS, respFirstNs: 11n * MS, respLastNs: 12n * MS }));
  s.add(ex({ tsNs: 15n * MS, reqFirstNs: 10n * MS, reqLastNs: 10n * MS, respFirstNs: 11n * MS, respLastNs: 15n * MS }));
  const got = s.take(40000, 80, 9n * MS, 20n * MS);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.respLastNs, 15n * MS);
  // the close record repeats the claimed exchange: ignored, and the closed socket is forgotten
  s.add(ex({ closed: true, tsNs: 30n * MS, reqFirstNs: 10n * MS, respLastNs: 15n * MS }));
  assert.deepEqual(s.take(40000, 80, 0n, 40n * MS), []);
  assert.equal(s.socketCount, 0);
});

test('100-continue: two exchanges of one request merge; phases come from the final one', () => {
  const s = new ExchangeStore();
  s.add(ex({ seq: 0, synNs: 1n * MS, establishedNs: 2n * MS, reqFirstNs: 3n * MS, reqLastNs: 3n * MS, respFirstNs: 4n * MS, respLastNs: 4n * MS, bytesSent: 200, bytesReceived: 25, retransmits: 1, request: 'PUT /b/k HTTP/1.1\r\n' }));
  s.add(ex({ seq: 1, synNs: 1n * MS, establishedNs: 2n * MS, reqFirstNs: 5n * MS, reqLastNs: 8n * MS, respFirstNs: 38n * MS, respLastNs: 39n * MS, bytesSent: 65536, bytesReceived: 100, request: '\x03\x03\x03' }));
  // Node stamps the client start at end(), i.e. after the 100 Continue and the body
  const got = s.take(40000, 80, 6n * MS, 50n * MS);
  assert.deepEqual(got.map((e) => e.seq), [0, 1]);
  const w = computeWire(trace({ startNs: 0n, endNs: 45n * MS }), got); // stamped early: overhead is exact
  assert.equal(w.newConnection, true);
  assert.equal(w.phases.connect, 0.001);
  assert.equal(w.phases.request, 0.005);
  assert.equal(w.phases.server, 0.03);
  assert.equal(w.phases.transfer, 0.001);
  assert.equal(w.wireSeconds, 0.036);
  assert.equal(w.clientSeconds, 0.045);
  assert.ok(Math.abs(w.overheadSeconds! - 0.008) < 1e-9, `overhead ${w.overheadSeconds}`);
  assert.deepEqual([w.bytesSent, w.bytesReceived, w.retransmits], [65736, 125, 1]);
  assert.equal(w.wireOperation?.candidates[0], 'PutObject');
  assert.equal(w.handshakeRttSeconds, undefined, 'a retransmit before the first response makes the handshake RTT unreliable');
});

test('a reused socket: the request written just before the client stamped its start still joins, an older unclaimed one does not', () => {
  const s = new ExchangeStore();
  s.add(ex({ seq: 4, reqFirstNs: 100n * MS, reqLastNs: 100n * MS, respFirstNs: 101n * MS, respLastNs: 101n * MS }));
  s.add(ex({ seq: 5, reqFirstNs: 120n * MS, reqLastNs: 120n * MS, respFirstNs: 125n * MS, respLastNs: 126n * MS }));
  const got = s.take(40000, 80, 120n * MS + 50_000n, 130n * MS);
  assert.deepEqual(got.map((e) => e.seq), [5]);
  const w = computeWire(trace({ reused: true, startNs: 120n * MS + 50_000n, endNs: 127n * MS }), got);
  assert.equal(w.newConnection, false);
  assert.equal(w.phases.connect, undefined);
  // seq 4 was before the claimed one: it can never be claimed and is dropped
  assert.equal(s.sweep(1000n * MS), 0);
});

test('unclaimed exchanges are swept and counted; other ports and remote ports do not match', () => {
  const s = new ExchangeStore();
  s.add(ex({ cookie: 7n, tsNs: 5n * MS, reqFirstNs: 1n * MS, respFirstNs: 2n * MS, respLastNs: 5n * MS }));
  assert.deepEqual(s.take(40001, 80, 0n, 10n * MS), []);
  assert.deepEqual(s.take(40000, 443, 0n, 10n * MS), []);
  assert.equal(s.sweep(4n * MS), 0, 'not old enough');
  assert.equal(s.sweep(6n * MS, 0n), 1);
  assert.equal(s.socketCount, 1, 'the open socket is remembered');
  s.add(ex({ cookie: 7n, closed: true, tsNs: 9n * MS, reqFirstNs: 1n * MS, respFirstNs: 2n * MS, respLastNs: 5n * MS }));
  assert.equal(s.sweep(100n * MS, 0n), 0, 'the close record of a swept exchange is not new');
  assert.equal(s.socketCount, 0, 'closed and empty: forgotten');
});

test('an idle keep-alive socket whose last exchange was claimed: its late close record is not unmatched', () => {
  const s = new ExchangeStore();
  s.add(ex({ cookie: 9n, seq: 3, tsNs: 5n * MS, reqFirstNs: 1n * MS, respFirstNs: 2n * MS, respLastNs: 5n * MS }));
  assert.equal(s.take(40000, 80, 0n, 6n * MS).length, 1);
  assert.equal(s.sweep(60_000n * MS), 0);
  s.add(ex({ cookie: 9n, seq: 3, closed: true, tsNs: 90_000n * MS, reqFirstNs: 1n * MS, respFirstNs: 2n * MS, respLastNs: 5n * MS }));
  assert.equal(s.sweep(200_000n * MS), 0);
});

test('the store stays bounded', () => {
  const s = new ExchangeStore({ maxSockets: 3 });
  let dropped = 0;
  for (let i = 0; i < 5; i++) dropped += s.add(ex({ cookie: BigInt(i), localPort: 40000 + i, reqFirstNs: 1n }));
  assert.equal(s.socketCount, 3);
  assert.equal(dropped, 2);
});

// Captured from test/ebpf/syn-drop.test.ts on a loaded machine: the first SYN dropped, the
// retransmit 1.03 s later established the connection. Node published the request only 322 ms after
// its connect() (the client's own start stamp), which once failed the test's "the client waited
// too"; the kernel record itself joins by its socket and says what the wire did.
test('a connection whose first SYN was dropped: joined, connect from the first SYN, its retransmit counted', () => {
  const s = new ExchangeStore();
  const syn = 2104378443512n;
  const captured = ex({
    cookie: 11252n, tsNs: 2105544052174n, synNs: syn, establishedNs: 2105408090170n,
    reqFirstNs: 2105410672827n, reqLastNs: 2105410672827n, respFirstNs: 2105538118391n, respLastNs: 2105538118391n,
    bytesSent: 110, bytesReceived: 75, retransmits: 1, srttUs: 879, minRttUs: 36, localPort: 44778, remotePort: 18060,
    request: 'HEAD /bucket/key HTTP/1.1\r\nx-test-delay-ms: 0\r\nx-test-size: 16\r\nHost: 10.210.60.2:18060\r\nConnection: close\r\n\r\n',
  });
  s.add(captured);
  // its close record, drained before the client's join: the same exchange, later
  s.add({ ...captured, closed: true, tsNs: 2105547000000n });
  const t = trace({ method: 'HEAD', operation: 'HeadObject', localPort: 44778, remotePort: 18060, startNs: 2104700297506n, endNs: 2105545956219n });
  const got = s.take(44778, 18060, t.startNs, t.endNs!);
  assert.equal(got.length, 1);
  const w = computeWire(t, got);
  assert.equal(w.newConnection, true);
  assert.ok(w.phases.connect! >= 1 && w.phases.connect! < 1.1, `connect ${w.phases.connect}`);
  assert.equal(w.retransmits, 1);
  assert.equal(w.handshakeRttSeconds, undefined, 'no handshake RTT from a retransmitted SYN');
  assert.deepEqual(w.wireOperation?.candidates, ['HeadObject']);
  assert.equal(s.socketCount, 0, 'claimed and closed: forgotten');
});
