// No unhandled rejection or uncaught exception kills the exporter: each is logged and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sample, startExporter } from '../support/exporter.js';
import { REPO_ROOT } from '../support/rgw.js';
import { targetYaml } from '../support/targets.js';

test('stray errors are logged and counted; the exporter keeps probing', async () => {
  const exp = await startExporter(
    { schedule: '*/1 * * * * *', targets: [targetYaml({ name: 'stray', objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'stray' } } })] },
    { NODE_OPTIONS: `--import=${join(REPO_ROOT, 'dist/test/fixtures/stray-errors.js')}` },
  );
  try {
    await exp.waitReady();
    exp.proc.child.kill('SIGUSR2'); // the fixture's cue
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = (await exp.metrics()).text;
      if (sample(text, 's3prober_internal_errors_total', { kind: 'uncaught_exception' })) break;
      await sleep(100);
    }
    assert.equal(sample(text, 's3prober_internal_errors_total', { kind: 'unhandled_rejection' }), 1);
    assert.equal(sample(text, 's3prober_internal_errors_total', { kind: 'uncaught_exception' }), 1);
    const before = sample(text, 's3prober_cycles_total', { target: 'stray', outcome: 'success' })!;
    await sleep(2500);
    assert.ok(sample((await exp.metrics()).text, 's3prober_cycles_total', { target: 'stray', outcome: 'success' })! > before, 'still probing');
    // logged as bugs: with the stack a bug report needs
    const logs = exp.proc.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: string; msg: string; bug?: { message: string; stack: string } });
    const bug = (msg: string) => logs.find((l) => l.level === 'error' && l.msg === msg)?.bug;
    assert.equal(bug('unhandled promise rejection')?.message, 'stray rejection from a test fixture');
    assert.match(bug('unhandled promise rejection')!.stack, /fixtures\/stray-errors\.js:\d+/);
    assert.equal(bug('uncaught exception')?.message, 'stray exception from a test fixture');
    assert.match(bug('uncaught exception')!.stack, /fixtures\/stray-errors\.js:\d+/);
  } finally {
    const r = await exp.stop();
    assert.equal(r.code, 0);
  }
});
