// The C header and the TypeScript decoder must agree on every offset: the addon reports offsetof()
// and sizeof() as compiled, and a record built from those offsets must decode to the same values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBatch, type KernelExchange } from '../../../src/ebpf/decoder.js';
import * as L from '../../../src/ebpf/layout.js';
import { loadModule } from '../../../src/ebpf/native.js';

test('offsets and sizes of s3prober.h match the decoder', () => {
  const m = loadModule();
  assert.ok(m.ok, m.ok ? '' : m.reason);
  const c = m.mod.layout();
  assert.deepEqual(c.offsets, { ...L.OFF });
  assert.equal(c.headerSize, L.HEADER_SIZE);
  assert.equal(c.exchangeSize, L.EXCHANGE_SIZE);
  assert.equal(c.reqLen, L.REQ_LEN);
  assert.equal(c.respLen, L.RESP_LEN);
  assert.deepEqual([c.EV_EXCHANGE, c.EV_CLOSE, c.F_TLS, c.F_IPV6], [L.EV_EXCHANGE, L.EV_CLOSE, L.F_TLS, L.F_IPV6]);
});

test('a record written at the C offsets decodes field by field', () => {
  const m = loadModule();
  assert.ok(m.ok);
  const { offsets: o, exchangeSize } = m.mod.layout();
  const at = (k: string) => o[k]!;
  const b = Buffer.alloc(exchangeSize * 2);
  const base = exchangeSize; // second record of a batch
  b.writeUInt16LE(exchangeSize, at('h.size'));
  b.writeUInt16LE(L.EV_EXCHANGE, at('h.type'));
  b.writeUInt16LE(exchangeSize, base + at('h.size'));
  b.writeUInt16LE(L.EV_CLOSE, base + at('h.type'));
  b.writeUInt32LE(L.F_TLS, base + at('h.flags'));
  b.writeBigUInt64LE(42n, base + at('h.cookie'));
  b.writeBigUInt64LE(7n, base + at('h.ts_ns'));
  const ns = ['syn_ns', 'established_ns', 'tls_start_ns', 'tls_end_ns', 'req_first_ns', 'req_last_ns', 'resp_first_ns', 'resp_last_ns'];
  for (const [i, k] of ns.entries()) b.writeBigUInt64LE(1000n + BigInt(i), base + at(k));
  b.writeBigUInt64LE(123n, base + at('bytes_sent'));
  b.writeBigUInt64LE(456n, base + at('bytes_received'));
  b.writeUInt32LE(3, base + at('seq'));
  b.writeUInt32LE(2, base + at('retrans'));
  b.writeUInt32LE(900, base + at('srtt_us'));
  b.writeUInt32LE(40, base + at('min_rtt_us'));
  b.writeUInt16LE(2, base + at('family'));
  b.writeUInt16LE(40000, base + at('sport'));
  b.writeUInt16LE(8080, base + at('dport'));
  Buffer.from([10, 0, 0, 9]).copy(b, base + at('daddr'));
  const line = 'GET /b/k HTTP/1.1\r\n';
  b.write(line, base + at('req'), 'latin1');
  b.writeUInt8(line.length, base + at('req_len'));
  b.write('HTTP/1.1 200 OK', base + at('resp'), 'latin1');
  b.writeUInt8(15, base + at('resp_len'));

  const got: KernelExchange[] = [];
  const r = decodeBatch(b, (e) => got.push(e));
  assert.deepEqual(r, { records: 2, skipped: 0 });
  const e = got[1]!;
  assert.equal(e.closed, true);
  assert.equal(e.tls, true);
  assert.equal(e.cookie, 42n);
  assert.equal(e.tsNs, 7n);
  assert.deepEqual([e.synNs, e.establishedNs, e.tlsStartNs, e.tlsEndNs, e.reqFirstNs, e.reqLastNs, e.respFirstNs, e.respLastNs], [1000n, 1001n, 1002n, 1003n, 1004n, 1005n, 1006n, 1007n]);
  assert.deepEqual([e.bytesSent, e.bytesReceived, e.seq, e.retransmits, e.srttUs, e.minRttUs], [123, 456, 3, 2, 900, 40]);
  assert.deepEqual([e.localPort, e.remotePort, e.remoteAddress], [40000, 8080, '10.0.0.9']);
  assert.equal(e.request, line);
  assert.equal(e.response, 'HTTP/1.1 200 OK');
});
