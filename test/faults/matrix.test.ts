// The fault matrix: each fault injected between the prober and a real RGW yields the right reason on
// the operation it hits, bounded time, nothing left in the store, and a clean next cycle.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { runCycle } from '../../src/probes/cycle.js';
import { LeftoverStore } from '../../src/probes/leftovers.js';
import type { FailureReason } from '../../src/results/operations.js';
import { createTargetClient } from '../../src/s3/client.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../support/fault-proxy.js';
import { s3Client, testRgw } from '../support/rgw.js';
import { bucketsWithPrefix } from '../support/store.js';
import { testTarget } from '../support/targets.js';

const logger = pino({ level: 'silent' });
const TIMEOUT_MS = 1500;

interface Case {
  name: string;
  fault: Fault;
  /** Operation -> reason expected on it (the first faulted call). */
  expect: [string, FailureReason];
}

const CASES: Case[] = [
  { name: 'reset mid-request (PUT body)', fault: { kind: 'reset-request', afterBytes: 100_000, match: { operation: 'PutObject', method: 'PUT' }, times: 1 }, expect: ['PutObject', 'connection_reset'] },
  { name: 'reset mid-response body', fault: { kind: 'reset-response', afterBytes: 50_000, match: { operation: 'GetObject' }, times: 1 }, expect: ['GetObject', 'connection_reset'] },
  { name: 'truncated body (Content-Length not honoured)', fault: { kind: 'truncate', afterBytes: 2000, match: { operation: 'GetObject' }, times: 1 }, expect: ['GetObject', 'connection_reset'] },
  { name: 'black hole', fault: { kind: 'stall', match: { operation: 'ListObjectsV2' }, times: 1 }, expect: ['ListObjectsV2', 'timeout'] },
  { name: 'trickle at 1 KiB/s (slow WAN)', fault: { kind: 'trickle', bytesPerSecond: 1024, match: { operation: 'GetObject' }, times: 1 }, expect: ['GetObject', 'timeout'] },
  { name: '503 SlowDown', fault: { kind: 'status', status: 503, code: 'SlowDown', match: { operation: 'DeleteObjects' }, times: 1 }, expect: ['DeleteObjects', 'throttled'] },
  { name: '429', fault: { kind: 'status', status: 429, match: { operation: 'ListBuckets' }, times: 1 }, expect: ['ListBuckets', 'throttled'] },
  { name: '500 InternalError', fault: { kind: 'status', status: 500, code: 'InternalError', match: { operation: 'CompleteMultipartUpload' }, times: 1 }, expect: ['CompleteMultipartUpload', 'server_error'] },
  { name: '403 expired token', fault: { kind: 'status', status: 403, code: 'ExpiredToken', match: { operation: 'HeadObject' }, times: 1 }, expect: ['HeadObject', 'auth'] },
  { name: 'flipped bytes in a GET body', fault: { kind: 'corrupt', offset: 4000, match: { operation: 'GetObject' }, times: 1 }, expect: ['GetObject', 'integrity'] },
];

describe('fault matrix against RGW', () => {
  let proxy: FaultProxy;
  before(async () => {
    proxy = await startFaultProxy({ upstream: testRgw().endpoint });
  });
  after(async () => {
    await proxy.close();
  });

  test('added latency below the deadline: measured, not failed; above it: timeout', async () => {
    const target = testTarget({ endpoint: proxy.url, objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'fmlat' } } });
    const client = createTargetClient(target);
    try {
      proxy.setFault({ kind: 'delay', ms: 300, match: { operation: 'GetObject' } });
      const slow = await runCycle({ target: { ...target, timeout: TIMEOUT_MS }, client, leftovers: new LeftoverStore(), logger });
      assert.equal(slow.success, true);
      const get = slow.operations.find((o) => o.operation === 'GetObject')!;
      assert.ok(get.durationSeconds! >= 0.3 && get.durationSeconds! < TIMEOUT_MS / 1000, `GetObject took ${get.durationSeconds}s`);
      assert.ok(slow.operations.filter((o) => o.operation === 'PutObject').every((o) => o.durationSeconds! < 0.3), 'only the delayed operation is slow');
      proxy.setFault({ kind: 'delay', ms: TIMEOUT_MS + 500, match: { operation: 'GetObject' } });
      const late = await runCycle({ target: { ...target, timeout: TIMEOUT_MS }, client, leftovers: new LeftoverStore(), logger });
      assert.deepEqual(late.operations.filter((o) => o.outcome === 'failure').map((o) => `${o.operation}:${o.reason}`), ['GetObject:timeout']);
      assert.equal(late.leftovers, 0);
    } finally {
      proxy.setFault(null);
      client.destroy();
    }
  });

  for (const [i, c] of CASES.entries()) {
    test(c.name, async () => {
      const prefix = `fm${i}`;
      const target = testTarget({ endpoint: proxy.url, objectSizes: ['128KiB', '6MiB'], extra: { bucket: { mode: 'ephemeral', prefix } } });
      const client = createTargetClient(target);
      const leftovers = new LeftoverStore();
      const s3 = s3Client(testRgw());
      try {
        proxy.setFault(c.fault);
        const t0 = Date.now();
        const r = await runCycle({ target: { ...target, timeout: TIMEOUT_MS }, client, leftovers, logger });
        const failed = r.operations.filter((o) => o.outcome === 'failure');
        const [op, reason] = c.expect;
        assert.ok(failed.length >= 1, 'the fault must cause a failure');
        assert.equal(`${failed[0]!.operation}:${failed[0]!.reason}`, `${op}:${reason}`, `${failed[0]!.errorCode} ${failed[0]!.message}`);
        assert.equal(failed.length, 1, `only the faulted call fails: ${failed.map((o) => `${o.operation}:${o.reason}`).join(' ')}`);
        assert.ok(failed[0]!.durationSeconds! <= TIMEOUT_MS / 1000 + 0.3, `bounded: ${failed[0]!.durationSeconds}s`);
        assert.ok(Date.now() - t0 < 20_000);
        assert.equal(r.leftovers, 0);
        assert.deepEqual(await bucketsWithPrefix(s3, prefix), []);
        // The fault is spent (times: 1): the next cycle is clean again.
        const next = await runCycle({ target: { ...target, timeout: TIMEOUT_MS }, client, leftovers, logger });
        assert.equal(next.success, true, JSON.stringify(next.operations.filter((o) => o.outcome !== 'success').map((o) => `${o.operation}:${o.reason}`)));
      } finally {
        proxy.setFault(null);
        client.destroy();
        s3.destroy();
      }
    });
  }
});
