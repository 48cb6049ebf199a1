// Config reload: SIGHUP and POST /-/reload apply a valid new config atomically; an invalid one keeps
// the old config running and sets s3prober_config_last_reload_successful 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { sample, startExporter } from '../support/exporter.js';
import { targetYaml } from '../support/targets.js';

const cfg = (names: string[]) => ({
  schedule: '*/2 * * * * *',
  targets: names.map((name) => targetYaml({ name, objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: `rl-${name}` } } })),
});

async function until(what: string, f: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('reload: valid via POST and SIGHUP, invalid keeps the old config', async () => {
  const exp = await startExporter(cfg(['one']));
  try {
    await exp.waitReady();
    assert.equal(sample((await exp.metrics()).text, 's3prober_config_last_reload_successful'), 1);

    // Invalid: rejected with the reason, old target keeps being probed.
    writeFileSync(exp.configFile, 'targets: []\n');
    const bad = await fetch(`${exp.url}/-/reload`, { method: 'POST' });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /reload failed, previous config kept: [\s\S]*targets: at least one target is required/);
    let text = (await exp.metrics()).text;
    assert.equal(sample(text, 's3prober_config_last_reload_successful'), 0);
    const before = sample(text, 's3prober_cycles_total', { target: 'one', outcome: 'success' })!;
    await until('another cycle of the old config', async () => sample((await exp.metrics()).text, 's3prober_cycles_total', { target: 'one', outcome: 'success' })! > before);

    // Valid, via POST: the new target set is live.
    writeFileSync(exp.configFile, stringify(cfg(['one', 'two'])));
    const ok = await fetch(`${exp.url}/-/reload`, { method: 'POST' });
    assert.equal(ok.status, 200, await ok.text());
    await until('target two probed', async () => (sample((await exp.metrics()).text, 's3prober_cycles_total', { target: 'two', outcome: 'success' }) ?? 0) >= 1);
    text = (await exp.metrics()).text;
    assert.equal(sample(text, 's3prober_config_last_reload_successful'), 1);

    // Valid, via SIGHUP: target one is gone from the exported series.
    writeFileSync(exp.configFile, stringify(cfg(['two'])));
    process.kill(exp.proc.pid, 'SIGHUP');
    await until('target one dropped', async () => sample((await exp.metrics()).text, 's3prober_target_info', { target: 'one' }) === undefined);
    assert.match(exp.proc.stdout(), /config reloaded/);
    assert.equal(exp.proc.child.exitCode, null);
  } finally {
    const r = await exp.stop();
    assert.equal(r.code, 0);
  }
});
