// The tracer against Ceph RGW through a proxy (HTTP, and HTTPS with a self-signed CA) that holds
// every response for a known D: for every operation of a canary cycle, the wire's server phase is at
// least D and the client's duration is at least the wire's; operations are read from the wire;
// housekeeping requests are claimed, never counted as unmatched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startWireHalf } from '../../src/cli/wire.js';
import type { WireTracer } from '../../src/ebpf/index.js';
import type { WireTiming } from '../../src/results/wire.js';
import { runCycle } from '../../src/probes/cycle.js';
import { LeftoverStore } from '../../src/probes/leftovers.js';
import { createTargetClient } from '../../src/s3/client.js';
import type { RequestTrace } from '../../src/results/request-trace.js';
import { makeTestCerts, type TestCerts } from '../support/certs.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { testRgw } from '../support/rgw.js';
import { testTarget } from '../support/targets.js';

const D_MS = 40;
const logger = pino({ level: 'silent' });

describe('wire vs client against RGW behind a delaying proxy', () => {
  let tracer: WireTracer;
  let registry: Registry;
  let certs: TestCerts;
  const proxies: FaultProxy[] = [];

  before(async () => {
    registry = new Registry();
    ({ tracer } = await startWireHalf({ registry, logger, enabled: true }));
    assert.equal(tracer.up, true, `tracer down: ${tracer.status().reason}`);
    certs = await makeTestCerts();
  });
  after(async () => {
    await tracer?.close();
    for (const p of proxies) await p.close();
    await certs?.cleanup();
  });

  async function cycleThrough(tls: boolean) {
    const proxy = await startFaultProxy({ upstream: testRgw().endpoint, ...(tls ? { tls: { key: certs.server.key, cert: certs.server.cert } } : {}) });
    proxies.push(proxy);
    proxy.setFault({ kind: 'delay', ms: D_MS });
    const target = testTarget({
      name: tls ? 'wire-https' : 'wire-http', endpoint: proxy.url, objectSizes: ['4KiB', '6MiB'],
      extra: { bucket: { mode: 'ephemeral', prefix: tls ? 'wire-s' : 'wire-p' }, ...(tls ? { tls: { caFile: certs.ca.certPath } } : {}) },
    });
    const client = createTargetClient(target);
    const joined: { trace: RequestTrace; wire: WireTiming }[] = [];
    const measured: RequestTrace[] = [];
    try {
      const r = await runCycle({
        target: { ...target, timeout: 10_000 }, client, leftovers: new LeftoverStore(), logger,
        observer: {
          onTrace: (t) => {
            tracer.observe(t);
            if (t.measured === false) return;
            measured.push(t);
            const last = tracer.lastWire();
            if (last?.trace === t) joined.push(last);
          },
        },
      });
      assert.equal(r.success, true, JSON.stringify(r.operations.filter((o) => o.outcome !== 'success').map((o) => `${o.operation}:${o.reason}`)));
      return { r, joined, measured };
    } finally {
      client.destroy();
    }
  }

  for (const tls of [false, true]) {
    test(tls ? 'HTTPS' : 'HTTP', async () => {
      const { r, joined, measured } = await cycleThrough(tls);
      assert.equal(joined.length, measured.length, 'every measured request is joined to the wire');
      assert.equal(new Set(joined.map((j) => j.trace.operation)).size, new Set(r.operations.map((o) => o.operation)).size);
      for (const { trace, wire } of joined) {
        const what = `${trace.operation} (${trace.reused ? 'reused' : 'new'} connection)`;
        const client = Number(trace.endNs! - trace.startNs) / 1e9;
        assert.ok(wire.phases.server! >= D_MS / 1000, `${what}: server phase ${wire.phases.server} < D`);
        assert.ok(client >= wire.wireSeconds!, `${what}: client ${client} < wire ${wire.wireSeconds}`);
        assert.ok(wire.overheadSeconds! >= 0, `${what}: negative overhead ${wire.overheadSeconds}`);
        assert.equal(wire.tls, tls);
        assert.equal(wire.wireOperation?.candidates.includes(trace.operation), true, `${what} read from the wire as ${wire.wireOperation?.candidates}`);
      }
      // The cycle starts cold: its first request has a new connection with connect (and TLS) phases.
      const first = joined[0]!;
      assert.equal(first.wire.newConnection, true);
      assert.ok(first.wire.phases.connect! > 0);
      if (tls) assert.ok(first.wire.phases.tls! > 0);
      const text = await registry.metrics();
      assert.doesNotMatch(text, /s3prober_wire_operation_mismatches_total\{[^}]*target="wire-/);
      assert.doesNotMatch(text, /s3prober_wire_unmatched_total\{side="client"\} [1-9]/);
    });
  }
});
