// Dropped SYNs (tc ingress BPF filter in a namespace this test creates, see netns.ts): every
// connection to the lossy port loses its first SYN, so its connect phase takes the SYN
// retransmission timeout (~1 s) and the retransmit is counted. The case once went unjoined now and
// then, so it runs many times here: waves of concurrent connections, each joined on its own socket,
// while other processes churn connections on every CPU (churn.ts): a retransmitted SYN's
// ESTABLISHED then often lands, in softirq, on a CPU where the state program is already running,
// which is how connect times were lost before the state program was attached twice.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { WIRE_METRICS } from '../../src/metrics/names.js';
import { startChurn, type Churn } from '../support/ebpf/churn.js';
import { namespaceExists, startLossyNamespace } from '../support/ebpf/netns.js';
import { request } from '../support/ebpf/servers.js';
import { joinedWire, metricValue, startTestTracer, traced, type Traced } from '../support/ebpf/tracer.js';

/** Connections whose first SYN is dropped, in waves of WAVE at once (each costs ~1 s). */
const CONNECTIONS = 48;
const WAVE = 8;

test(`first SYN of ${CONNECTIONS} connections dropped: each joined, connect ~1 s, its retransmit counted; the namespace is gone afterwards`, async () => {
  const t = await startTestTracer();
  const ns = await startLossyNamespace(18000 + (process.pid % 1000));
  const agent = new http.Agent({ keepAlive: false });
  let churn: Churn | undefined;
  const head = (port: number) => () => request({ host: ns.address, port, method: 'HEAD', path: '/bucket/key', agent });
  try {
    churn = await startChurn();
    assert.equal(t.tracer.up, true);
    const lossy: Traced[] = [];
    for (let i = 0; i < CONNECTIONS; i += WAVE) {
      lossy.push(...await Promise.all(Array.from({ length: WAVE }, () => traced(t.tracer, 'lossy', 'HeadObject', head(ns.port)))));
    }
    // what the kernel did to each connection, as the filter saw it: first SYN dropped, one retransmit let through
    const syns = ns.synsByPort();
    assert.equal(syns.size, CONNECTIONS, `connections the filter saw: ${JSON.stringify([...syns])}`);
    for (const r of lossy) {
      const port = r.trace.localPort!;
      const kernel = `SYNs the filter saw from port ${port}: ${syns.get(port)}`;
      assert.equal(syns.get(port), 2, kernel);
      const w = await joinedWire(t, r, kernel);
      assert.equal(w.newConnection, true, `port ${port}: a new connection`);
      const missed = `hook runs the kernel skipped so far: ${t.tracer.kernelCounters()?.hookRunsMissed}`;
      assert.ok(w.phases.connect! >= 0.9 && w.phases.connect! < 3.5, `port ${port}: connect ${w.phases.connect}; ${kernel}; ${missed}`);
      assert.ok(w.retransmits >= syns.get(port)! - 1, `port ${port}: retransmits ${w.retransmits}; ${kernel}`);
      assert.equal(w.handshakeRttSeconds, undefined, `port ${port}: no handshake RTT from a retransmitted SYN`);
      assert.ok(r.clientWindowSeconds >= 0.9, `port ${port}: the client waited too (${r.clientWindowSeconds} s)`);
    }
    assert.ok((await metricValue(t.registry, WIRE_METRICS.tcpRetransmits, { target: 'lossy' }))! >= CONNECTIONS);
    // the same server on its unfiltered port: nothing dropped, nothing retransmitted
    const clean = await traced(t.tracer, 'clean', 'HeadObject', head(ns.cleanPort));
    const w = await joinedWire(t, clean);
    assert.ok(w.phases.connect! < 0.5, `clean connect ${w.phases.connect}`);
    assert.equal(w.retransmits, 0);
    assert.equal(ns.synsByPort().size, CONNECTIONS, 'the clean port is not filtered');
  } finally {
    await churn?.stop();
    agent.destroy();
    ns.close();
    await t.tracer.close();
  }
  assert.equal(namespaceExists(ns.name), false, 'namespace removed');
});
