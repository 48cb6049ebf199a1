// The durable set in the running exporter: checked once a round next to the canary cycles, its
// families on /metrics, the canary's own families untouched by its requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { pino } from 'pino';
import { ProberRuntime } from '../../src/cli/runtime.js';
import { parseConfig } from '../../src/config/load.js';
import { DURABILITY_METRICS } from '../../src/metrics/names.js';
import { sample } from '../support/exporter.js';
import { targetYaml } from '../support/targets.js';

test('a target with a durable set: the set is filled and verified each round, and exported', async () => {
  const config = parseConfig(stringify({
    schedule: '*/1 * * * * *',
    ebpf: { enabled: false },
    targets: [targetYaml({
      name: 'lasting', objectSizes: ['4KiB'],
      extra: { bucket: { mode: 'ephemeral', prefix: 'dur-exp' }, durability: { bucket: 'dur-exp-set', objects: 4, verifyPerCycle: 4 } },
    })],
  }));
  const rt = await ProberRuntime.start({ config, listen: '127.0.0.1:0', logger: pino({ level: 'silent' }) });
  const url = `http://127.0.0.1:${rt.address.port}/metrics`;
  try {
    const end = Date.now() + 20_000;
    let text = '';
    // filled in the first round, fully verified in a later one
    while (sample(text, DURABILITY_METRICS.objects, { target: 'lasting', state: 'ok' }) !== 4) {
      assert.ok(Date.now() < end, `the set was never fully verified:\n${text.split('\n').filter((l) => l.includes('durab')).join('\n')}`);
      await sleep(250);
      text = await (await fetch(url)).text();
    }
    assert.equal(sample(text, DURABILITY_METRICS.objects, { target: 'lasting', state: 'missing' }), 0);
    assert.equal(sample(text, DURABILITY_METRICS.failures, { target: 'lasting', reason: 'lost' }), 0);
    assert.ok(sample(text, DURABILITY_METRICS.lastFullPass, { target: 'lasting' })! > 0);
    // the durable set's requests are not canary operations
    assert.equal(sample(text, 's3prober_operation_failures_total', { target: 'lasting' }), undefined);
  } finally {
    await rt.stop();
  }
});
