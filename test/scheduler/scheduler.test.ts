// The schedule: cycles start on their slots (spread, small drift), never overlap; a slot that finds
// the previous cycle still running is skipped and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { CycleResult } from '../../src/probes/result.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { TargetRunner } from '../../src/scheduler/target-runner.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { s3Client, testRgw } from '../support/rgw.js';
import { bucketsWithPrefix } from '../support/store.js';
import { testConfig } from '../support/targets.js';

const logger = pino({ level: 'silent' });

test('every second, two targets: one slow (skips slots, no overlap), one healthy (starts on time)', async () => {
  const proxy = await startFaultProxy({ upstream: testRgw().endpoint });
  // Each HeadObject of the slow target stalls until its 2.5 s deadline: a cycle outlasts its 1 s slot.
  proxy.setFault({ kind: 'stall', match: { operation: 'HeadObject' } });
  const config = testConfig(
    [
      { name: 'slow', endpoint: proxy.url, objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'sch-slow' } } },
      { name: 'fast', objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'sch-fast' } } },
    ],
    { schedule: '* * * * * *', timeout: '2500ms', jitter: 0 },
  );
  const cycles: CycleResult[] = [];
  const skipped: string[] = [];
  const delays: Record<string, number[]> = { slow: [], fast: [] };
  const runners = config.targets.map((t) => new TargetRunner(t, config.timeout, logger, {}));
  let concurrent = 0;
  let maxConcurrentSlow = 0;
  const slow = runners[0]!;
  const orig = slow.runCycle.bind(slow);
  slow.runCycle = async (signal) => {
    maxConcurrentSlow = Math.max(maxConcurrentSlow, ++concurrent);
    try {
      return await orig(signal);
    } finally {
      concurrent--;
    }
  };
  const s = new Scheduler({
    schedule: config.schedule, spread: config.spread, jitterMs: 0, runners, logger,
    hooks: { onCycle: (c) => cycles.push(c), onSkipped: (t) => skipped.push(t), onStart: (t, d) => delays[t]!.push(d) },
  });
  try {
    assert.equal(s.intervalMs(), 30_000, 'no schedule yet: the default interval');
    s.start();
    assert.equal(s.intervalMs(), 1000);
    await sleep(4500);
  } finally {
    await s.stop();
    await proxy.close();
    for (const r of runners) r.destroy();
  }
  assert.equal(maxConcurrentSlow, 1, 'cycles of one target never overlap');
  assert.ok(skipped.filter((t) => t === 'slow').length >= 2, `skipped: ${skipped.join(',')}`);
  assert.equal(skipped.filter((t) => t === 'fast').length, 0, 'the healthy target is unaffected');
  assert.ok(cycles.filter((c) => c.target === 'fast' && c.success).length >= 3, `fast cycles: ${cycles.filter((c) => c.target === 'fast').length}`);
  const slowDone = cycles.filter((c) => c.target === 'slow');
  assert.ok(slowDone.length >= 1);
  for (const c of slowDone) {
    if (c.aborted) continue; // the one stop() interrupted
    assert.deepEqual(c.operations.filter((o) => o.outcome === 'failure').map((o) => o.reason), ['timeout']);
  }
  // Drift: starts land within 100 ms of their planned slot on an idle machine.
  const worst = Math.max(...delays.fast!);
  assert.ok(worst < 0.1, `fast target started up to ${worst}s late`);
});

test('stop() aborts the cycle in flight and waits for its cleanup', async () => {
  const proxy = await startFaultProxy({ upstream: testRgw().endpoint });
  proxy.setFault({ kind: 'stall', match: { operation: 'GetObject' } });
  const config = testConfig([{ name: 'stuck', endpoint: proxy.url, objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'sch-stop' } } }], { schedule: '0 0 1 1 *', timeout: '30s' });
  const runners = config.targets.map((t) => new TargetRunner(t, config.timeout, logger, {}));
  const cycles: CycleResult[] = [];
  const s = new Scheduler({ schedule: config.schedule, spread: 0, jitterMs: 0, runners, logger, hooks: { onCycle: (c) => cycles.push(c), onSkipped() {}, onStart() {} } });
  try {
    s.start(); // the first cycle runs right away, then stalls on GetObject for up to 30 s
    while (proxy.stats.faulted === 0) await sleep(20);
    const t0 = Date.now();
    await s.stop();
    assert.ok(Date.now() - t0 < 5000, `stop took ${Date.now() - t0} ms`);
    proxy.setFault(null);
    assert.equal(cycles.length, 1);
    assert.equal(cycles[0]!.aborted, true);
    assert.equal(cycles[0]!.leftovers, 0, 'cleanup ran despite the abort');
    assert.ok(cycles[0]!.operations.some((o) => o.operation === 'GetObject' && o.outcome === 'skipped' && o.skippedBecause === 'shutdown'));
  } finally {
    await proxy.close();
    for (const r of runners) r.destroy();
  }
});

test('stop() with a write in flight: the write may finish, its cleanup then removes what it made', async () => {
  // The server receives CreateBucket and applies it 800 ms later, whatever became of the client.
  // Cut at once, the cycle's DeleteBucket would find no bucket and the late one would stay behind.
  const proxy = await startFaultProxy({ upstream: testRgw().endpoint });
  proxy.setFault({ kind: 'hold-request', ms: 800, times: 1, match: { operation: 'CreateBucket' } });
  const config = testConfig([{ name: 'late', endpoint: proxy.url, objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'sch-late' } } }], { schedule: '0 0 1 1 *', timeout: '30s' });
  const runners = config.targets.map((t) => new TargetRunner(t, config.timeout, logger, {}));
  const cycles: CycleResult[] = [];
  const s = new Scheduler({ schedule: config.schedule, spread: 0, jitterMs: 0, runners, logger, hooks: { onCycle: (c) => cycles.push(c), onSkipped() {}, onStart() {} } });
  const s3 = s3Client(testRgw());
  try {
    s.start();
    while (proxy.stats.faulted === 0) await sleep(20);
    const t0 = Date.now();
    await s.stop();
    assert.ok(Date.now() - t0 < 5000, `stop took ${Date.now() - t0} ms`);
    await sleep(1000); // past the hold: a request the server still had to apply has been applied
    assert.deepEqual(await bucketsWithPrefix(s3, 'sch-late'), []);
    assert.equal(cycles.length, 1);
    assert.equal(cycles[0]!.aborted, true);
    const ops = cycles[0]!.operations;
    assert.deepEqual(ops.filter((o) => o.operation === 'CreateBucket').map((o) => o.outcome), ['success']);
    assert.ok(ops.some((o) => o.operation === 'PutObject' && o.skippedBecause === 'shutdown'));
    assert.equal(cycles[0]!.leftovers, 0);
  } finally {
    s3.destroy();
    await proxy.close();
    for (const r of runners) r.destroy();
  }
});
