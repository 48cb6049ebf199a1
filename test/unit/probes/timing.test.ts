// Where an operation's latency starts: at its first request, with the SDK's time before it apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { operationTiming } from '../../../src/probes/timing.js';
import type { RequestTrace } from '../../../src/results/request-trace.js';

const trace = (startNs: bigint): RequestTrace => ({
  target: 't', operation: 'GetObject', method: 'GET', protocol: 'http:', reused: true, startNs, phases: {}, bytesSent: 0, bytesReceived: 0,
});

test('latency runs from the first request issued to the result; the time before is prepare', () => {
  const ms = 1_000_000n;
  assert.deepEqual(operationTiming(0n, 10n * ms, [trace(2n * ms), trace(5n * ms)]), { durationSeconds: 0.008, prepareSeconds: 0.002 });
  // no request issued (failed before sending): the whole call, no prepare
  assert.deepEqual(operationTiming(0n, 10n * ms, []), { durationSeconds: 0.01 });
  // a stamp outside the call (a stale one) is not believed
  assert.deepEqual(operationTiming(5n * ms, 10n * ms, [trace(1n * ms)]), { durationSeconds: 0.005 });
});
