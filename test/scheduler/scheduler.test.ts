// The schedule: cycles start on their slots (spread, small drift), never overlap; a slot that finds
// the previous cycle still running is skipped and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { CycleResult } from '../../src/results/cycle.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { TargetRunner } from '../../src/probes/target-runner.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { s3Client, testRgw } from '../support/rgw.js';
import { bucketsWithPrefix } from '../support/store.js';
import { testConfig } from '../support/targets.js';

const logger = pino({ level: 'silent' });

test('every second, two targets: one slow (skips slots, no overlap), one healthy (starts on time)', async () => {
  const proxy = await startFaultProxy({ upstream: testRgw().endpoint });
  // Each HeadObject of the slow target stalls until its 2.5 s deadline: a cycle outlasts its 1 s slot.
  proxy.setFault({ kind: 'stall', match: { operation: 'HeadObject' } });
  // Short cycles (11 operations on 4 KiB objects, 0.1-0.6 s on this 2-core VM with one core busy):
  // the healthy target has room in its 1 s interval. Under test is the schedule, not the store.
  const small = { objectSizes: ['4KiB'], extra: { batchSize: 2, listPageSize: 10 } };
  const config = testConfig(
    [
      { name: 'slow', endpoint: proxy.url, ...small, extra: { ...small.extra, bucket: { mode: 'ephemeral', prefix: 'sch-slow' } } },
      { name: 'fast', ...small, extra: { ...small.extra, bucket: { mode: 'ephemeral', prefix: 'sch-fast' } } },
    ],
    { schedule: '* * * * * *', timeout: '2500ms', jitter: 0 },
  );
  const cycles: CycleResult[] = [];
  const delays: Record<string, number[]> = { slow: [], fast: [] };
  const runners = config.targets.map((t) => new TargetRunner(t, logger, {}));
  // Each target's cycles: planned start (from onStart's delay), start, end.
  type Run = { planned: number; from: number; to?: number };
  const runs: Record<string, Run[]> = { slow: [], fast: [] };
  const planned: Record<string, number> = {};
  for (const r of runners) {
    const orig = r.runCycle.bind(r);
    const name = r.target.name;
    r.runCycle = async (signal, spreadMs) => {
      const run: Run = { planned: planned[name]!, from: Date.now() };
      runs[name]!.push(run);
      try {
        return await orig(signal, spreadMs);
      } finally {
        run.to = Date.now();
      }
    };
  }
  /** Skipped slots, and for how long then the target's own running cycle had been due (none: undefined). */
  const skipped: { target: string; why: string; ownCycleDueMs?: number }[] = [];
  const onSkipped = (target: string, why: string) => {
    const last = runs[target]!.at(-1);
    skipped.push({ target, why, ownCycleDueMs: last && last.to === undefined ? Date.now() - last.planned : undefined });
  };
  const onStart = (target: string, d: number) => {
    delays[target]!.push(d);
    planned[target] = Date.now() - d * 1000; // onStart comes right before runCycle
  };
  const s = new Scheduler({
    schedule: config.schedule, spread: config.spread, jitterMs: 0, runners, logger,
    hooks: { onCycle: (c) => cycles.push(c), onSkipped, onStart },
  });
  const t0 = Date.now();
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
  const fastRuns = runs.fast!.map((r) => `${r.from - t0}+${(r.to ?? NaN) - r.from}ms`).join(' ');
  const seen = `started at .${String(t0 % 1000).padStart(3, '0')}; skipped ${JSON.stringify(skipped)}; ` +
    `fast cycles (start+duration) ${fastRuns}; fast start delays ${delays.fast!.map((d) => Math.round(d * 1000)).join(',')} ms`;
  for (const [name, rs] of Object.entries(runs)) {
    for (let i = 1; i < rs.length; i++) assert.ok(rs[i]!.from >= rs[i - 1]!.to!, `cycles of ${name} overlap: ${JSON.stringify(rs)}`);
  }
  assert.ok(skipped.filter((x) => x.target === 'slow').length >= 2, seen);
  assert.deepEqual(skipped.filter((x) => x.why !== 'overrun'), [], seen);
  // The healthy target is unaffected by the slow one. A slot of its own is skipped only while its own
  // cycle runs and has been due for a whole interval (a cycle of its own that overran); skipped while
  // idle, or for a cycle due less than an interval ago, fails here.
  assert.deepEqual(skipped.filter((x) => x.target === 'fast' && (x.ownCycleDueMs ?? 0) < 950), [], seen);
  // It kept running while the slow one stalled, and its cycles succeeded (the one stop() cut aside).
  assert.ok(runs.fast!.length >= 3, seen);
  const fastDone = cycles.filter((c) => c.target === 'fast' && !c.aborted);
  assert.ok(fastDone.length >= 2, seen);
  assert.deepEqual(fastDone.flatMap((c) => c.operations.filter((o) => o.outcome !== 'success').map((o) => `${o.operation} ${o.outcome} ${o.reason ?? o.skippedBecause}`)), [], seen);
  const slowDone = cycles.filter((c) => c.target === 'slow');
  assert.ok(slowDone.length >= 1);
  for (const c of slowDone) {
    if (c.aborted) continue; // the one stop() interrupted
    assert.deepEqual(c.operations.filter((o) => o.outcome === 'failure').map((o) => o.reason), ['timeout']);
  }
  // Drift: starts land close to their planned slot. Held back by the slow target, a start would be
  // seconds late (its stalls last 2.5 s); 250 ms is room for timer lag on a loaded machine (up to
  // 160 ms measured with the CPUs busy; under 30 ms with one core of two busy).
  const worst = Math.max(...delays.fast!);
  assert.ok(worst < 0.25, `fast target started up to ${worst}s late; ${seen}`);
});

/** A stand-in target whose cycles take `cycleMs` (no S3): the scheduler's decisions alone, to the millisecond. */
function timedRunner(name: string, cycleMs: number) {
  let running: Promise<CycleResult> | undefined;
  const starts: number[] = [];
  return {
    target: { name },
    starts,
    get busy() {
      return running !== undefined;
    },
    async runCycle(signal?: AbortSignal): Promise<CycleResult[]> {
      const startedAt = Date.now();
      starts.push(startedAt);
      running = sleep(cycleMs, undefined, { signal }).then(
        () => ({ target: name, cycleId: String(startedAt), startedAt, durationSeconds: cycleMs / 1000, success: true, operations: [], leftovers: 0, aborted: false }),
        () => ({ target: name, cycleId: String(startedAt), startedAt, durationSeconds: (Date.now() - startedAt) / 1000, success: false, operations: [], leftovers: 0, aborted: true }),
      );
      try {
        return [await running];
      } finally {
        running = undefined;
      }
    },
    async idle() {
      await running;
    },
  };
}

test('the start-up round runs into the first slot: that slot goes to it, uncounted; a cycle outlasting its interval is still skipped and counted', async () => {
  // Started 400 ms before a whole second: the first slot comes while both start-up cycles run.
  // short (700 ms) fits its interval; long (2000 ms) outlasts it. Slots: T+0.4, 1.4, 2.4, 3.4. Every
  // event is 300 ms or more from the one it races: room for a busy machine's timer lag.
  const short = timedRunner('short', 700);
  const long = timedRunner('long', 2000);
  const skipped: string[] = [];
  const s = new Scheduler({
    schedule: '* * * * * *', spread: 0, jitterMs: 0, runners: [short, long], logger,
    hooks: { onCycle() {}, onSkipped: (t, why) => skipped.push(why === 'overrun' ? t : `${t}:${why}`), onStart() {} },
  });
  await sleep((1600 - (Date.now() % 1000)) % 1000);
  const t0 = Date.now();
  try {
    s.start();
    await sleep(3900);
  } finally {
    await s.stop();
  }
  const rel = (xs: number[]) => xs.map((x) => x - t0).join(',');
  const seen = `started at .${String(t0 % 1000).padStart(3, '0')}; short starts ${rel(short.starts)}; long starts ${rel(long.starts)}; skipped ${skipped.join(',')}`;
  // The first slot (T+0.4) started nothing: it found the start-up cycles running...
  assert.equal(short.starts.length, 4, seen);
  assert.ok(short.starts[1]! - short.starts[0]! > 1000, `the first slot was left to the start-up cycle: ${seen}`);
  // ...and is no skipped slot: short's start-up cycle did not outlast an interval.
  assert.deepEqual(skipped.filter((t) => t === 'short'), [], seen);
  // long's start-up cycle outlasts the next slot (T+1.4), its cycle from T+2.4 the one after (T+3.4):
  // real overruns, counted.
  assert.deepEqual(skipped, ['long', 'long'], seen);
  assert.equal(long.starts.length, 2, seen);
});

test('jitter puts a start-up cycle after the first slot: it is dropped, not counted as a skipped slot', async (t) => {
  // Started half a second before a whole second, the start-up start jittered 792 ms late, every
  // slot on time: the first slot (T+0.5) runs a cycle (600 ms), the start-up launch (T+0.79) finds
  // it running, the next slot (T+1.5) finds it done.
  const r = timedRunner('r', 600);
  const skipped: string[] = [];
  let startingUp = false;
  t.mock.method(Math, 'random', () => (startingUp ? 0.99 : 0));
  const s = new Scheduler({
    schedule: '* * * * * *', spread: 0, jitterMs: 800, runners: [r], logger,
    hooks: { onCycle() {}, onSkipped: (x, why) => skipped.push(`${x}:${why}`), onStart() {} },
  });
  await sleep((1500 - (Date.now() % 1000)) % 1000);
  const t0 = Date.now();
  try {
    startingUp = true;
    s.start();
    startingUp = false;
    await sleep(2000);
  } finally {
    startingUp = false;
    await s.stop();
  }
  const seen = `started at .${String(t0 % 1000).padStart(3, '0')}; starts ${r.starts.map((x) => x - t0).join(',')}; skipped ${skipped.join(',')}`;
  assert.deepEqual(skipped, [], seen);
  assert.equal(r.starts.length, 2, seen);
  assert.ok(r.starts[0]! - t0 > 300, `the first slot ran the first cycle: ${seen}`);
});

/** Blocks the event loop (a long synchronous task, a starved process) until Date.now() reaches `until`. */
function blockUntil(until: number): void {
  while (Date.now() < until) { /* busy */ }
}

/** A logger whose lines the test reads. */
function capturingLogger() {
  const lines: { level: number; msg: string; slot?: string }[] = [];
  const l = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
  return { logger: l, lines };
}

test('a slot reached late but within its interval still runs, and its start delay says how late', async () => {
  // Every 3 s, started 100 ms after a slot. The loop is blocked from 300 ms before the next slot
  // until 2.1 s after it: node-cron's default (1 s tolerance) dropped that slot without a trace.
  const r = timedRunner('r', 100);
  const skipped: string[] = [];
  const delays: number[] = [];
  const s = new Scheduler({
    schedule: '*/3 * * * * *', spread: 0, jitterMs: 0, runners: [r], logger,
    hooks: { onCycle() {}, onSkipped: (x, why) => skipped.push(`${x}:${why}`), onStart: (_x, d) => delays.push(d) },
  });
  await sleep((3100 - (Date.now() % 3000)) % 3000);
  const t0 = Date.now();
  const slot = t0 - (t0 % 3000) + 3000;
  try {
    s.start();
    await sleep(slot - 300 - Date.now());
    const blockedAt = Date.now();
    blockUntil(slot + 2100);
    await sleep(300);
    const seen = `started at +${t0 % 3000} ms into an interval; block began ${blockedAt - slot} ms from the slot; starts ${r.starts.map((x) => x - t0).join(',')}; delays ${delays.join(',')}; skipped ${skipped.join(',')}`;
    assert.ok(blockedAt < slot, `the block began after the slot (timer lag): ${seen}`);
    assert.deepEqual(skipped, [], seen);
    assert.equal(r.starts.length, 2, seen);
    assert.ok(delays[1]! >= 2.0 && delays[1]! < 2.9, `the late slot's start delay: ${seen}`);
  } finally {
    await s.stop();
  }
});

test('slots that came and went while the prober was blocked are counted as missed for every target, through our logger', async (t) => {
  // Every second, started 100 ms after a slot; blocked from 500 ms later until 3.3 s after that
  // slot: the next two slots are more than an interval late (gone), the third runs 0.3 s late.
  const warn = t.mock.method(console, 'warn');
  const error = t.mock.method(console, 'error');
  const a = timedRunner('a', 100);
  const b = timedRunner('b', 100);
  const skipped: string[] = [];
  const log = capturingLogger();
  const s = new Scheduler({
    schedule: '* * * * * *', spread: 0, jitterMs: 0, runners: [a, b], logger: log.logger,
    hooks: { onCycle() {}, onSkipped: (x, why) => skipped.push(`${x}:${why}`), onStart() {} },
  });
  await sleep((1100 - (Date.now() % 1000)) % 1000);
  const t0 = Date.now();
  const s0 = t0 - (t0 % 1000);
  try {
    s.start();
    await sleep(s0 + 600 - Date.now());
    const blockedAt = Date.now();
    blockUntil(s0 + 3300);
    await sleep(400);
    const seen = `started at .${String(t0 % 1000).padStart(3, '0')}; block began +${blockedAt - s0} ms; skipped ${skipped.join(',')}; a starts ${a.starts.map((x) => x - s0).join(',')}`;
    assert.ok(blockedAt < s0 + 1000, `the block began after the first slot (timer lag): ${seen}`);
    assert.deepEqual(skipped.sort(), ['a:missed', 'a:missed', 'b:missed', 'b:missed'], seen);
    // start-up cycle, then the slot at +3 s (0.3 s late)
    assert.equal(a.starts.length, 2, seen);
    assert.ok(a.starts[1]! - s0 >= 3300, seen);
    const missed = log.lines.filter((l) => l.msg.startsWith('schedule slot missed'));
    assert.deepEqual(missed.map((l) => l.slot), [new Date(s0 + 1000).toISOString(), new Date(s0 + 2000).toISOString()], seen);
    assert.equal(warn.mock.callCount() + error.mock.callCount(), 0, 'node-cron wrote to the console');
  } finally {
    await s.stop();
  }
});

test('stop() aborts the cycle in flight and waits for its cleanup', async () => {
  const proxy = await startFaultProxy({ upstream: testRgw().endpoint });
  proxy.setFault({ kind: 'stall', match: { operation: 'GetObject' } });
  const config = testConfig([{ name: 'stuck', endpoint: proxy.url, objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'sch-stop' } } }], { schedule: '0 0 1 1 *', timeout: '30s' });
  const runners = config.targets.map((t) => new TargetRunner(t, logger, {}));
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
  const runners = config.targets.map((t) => new TargetRunner(t, logger, {}));
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
