// Degrades, never breaks, without the kernel: the addon missing or the tracer switched off leave it
// down, s3prober_ebpf_up 0, one log line saying why (the privilege cases: test/ebpf/degrade.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WIRE_METRICS } from '../../../src/metrics/names.js';
import { metricValue, startTestTracer } from '../../support/ebpf/tracer.js';

test('addon not built: down, and the log line says how to build it', async () => {
  const t = await startTestTracer({ addonPath: '/nonexistent/s3prober.node' });
  assert.equal(t.tracer.up, false);
  assert.equal(await metricValue(t.registry, WIRE_METRICS.ebpfUp), 0);
  assert.equal(t.logs.length, 1);
  assert.match(t.logs[0]!.msg, /scripts\/build-ebpf\.sh/);
  const trace = { target: 'x', operation: 'GetObject', method: 'GET', protocol: 'http:' as const, reused: false, startNs: 1n, endNs: 2n, localPort: 1, phases: {}, bytesSent: 0, bytesReceived: 0 };
  t.tracer.observe(trace);
  assert.equal(t.view.timingOf(trace), undefined);
  await t.tracer.close();
});

test('switched off in the configuration: down without touching the kernel', async () => {
  const t = await startTestTracer({ enabled: false });
  assert.equal(t.tracer.up, false);
  assert.equal(t.tracer.status().reason, 'disabled in the configuration');
  assert.equal(await metricValue(t.registry, WIRE_METRICS.ebpfUp), 0);
  assert.equal(t.logs.length, 1);
  assert.match(t.logs[0]!.msg, /ebpf\.enabled: false/);
});
