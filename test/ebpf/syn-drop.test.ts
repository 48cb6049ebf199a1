// A dropped SYN (tc ingress BPF filter in a namespace this test creates): the connect phase takes
// the SYN retransmission timeout (~1 s) and the retransmit is counted.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { WIRE_METRICS } from '../../src/metrics/names.js';
import { namespaceExists, startLossyNamespace, synRetransmits } from '../support/ebpf/netns.js';
import { request } from '../support/ebpf/servers.js';
import { joinedWire, metricValue, startTestTracer, traced } from '../support/ebpf/tracer.js';

test('first SYN dropped: connect ~1 s, one retransmit, and the namespace is gone afterwards', async () => {
  const t = await startTestTracer();
  const ns = await startLossyNamespace(18000 + (process.pid % 1000));
  const agent = new http.Agent({ keepAlive: false });
  try {
    assert.equal(t.tracer.up, true);
    const synsBefore = synRetransmits();
    const r = await traced(t.tracer, 'lossy', 'HeadObject', () => request({ host: ns.address, port: ns.port, method: 'HEAD', path: '/bucket/key', agent }));
    // what the kernel did, for the messages below (a rare failure here was not yet explained)
    const kernel = `kernel SYN retransmits meanwhile: ${synRetransmits() - synsBefore}`;
    const w = await joinedWire(t, r, kernel);
    assert.ok(w.phases.connect! >= 0.9 && w.phases.connect! < 3.5, `connect ${w.phases.connect}; ${kernel}`);
    assert.ok(w.retransmits >= 1, `retransmits ${w.retransmits}; ${kernel}`);
    assert.equal(w.handshakeRttSeconds, undefined, 'no handshake RTT from a retransmitted SYN');
    assert.ok(r.trace.endNs! - r.trace.startNs >= 900_000_000n, 'the client waited too');
    assert.ok((await metricValue(t.registry, WIRE_METRICS.tcpRetransmits, { target: 'lossy' }))! >= 1);
    // the next connection is not dropped
    const again = await traced(t.tracer, 'lossy', 'HeadObject', () => request({ host: ns.address, port: ns.port, method: 'HEAD', path: '/bucket/key', agent }));
    const w2 = await joinedWire(t, again);
    assert.ok(w2.phases.connect! < 0.5, `second connect ${w2.phases.connect}`);
    assert.equal(w2.retransmits, 0);
  } finally {
    agent.destroy();
    ns.close();
    await t.tracer.close();
  }
  assert.equal(namespaceExists(ns.name), false, 'namespace removed');
});
