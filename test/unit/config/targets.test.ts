// What every parsed target carries: its effective timeout, and the steps its server offers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import type { TargetConfig } from '../../../src/config/schema.js';

const twoTargets = (top: string, steps = '') => `
${top}
targets:
  - name: own
    endpoint: http://a
    credentials: { source: default }
    timeout: 20s
  - name: inherits
    endpoint: http://b
    credentials: { source: default }
${steps}`;

test("every target's timeout is resolved at load: its own, else the top-level one", () => {
  const c = parseConfig(twoTargets('timeout: 3s'), {});
  assert.deepEqual(c.targets.map((t) => t.timeout), [20_000, 3_000]);
  const d = parseConfig(twoTargets(''), {});
  assert.deepEqual(d.targets.map((t) => t.timeout), [20_000, d.timeout]);
  assert.equal(d.timeout, 10_000);
});

test('steps a server does not offer can be turned off per target; all on by default', () => {
  const c = parseConfig(twoTargets('', '    steps: { multipart: false, listBuckets: false }'), {});
  const steps: TargetConfig['steps'][] = c.targets.map((t) => t.steps);
  assert.deepEqual(steps, [
    { multipart: true, batchDelete: true, listBuckets: true },
    { multipart: false, batchDelete: true, listBuckets: false },
  ]);
  const off = parseConfig(twoTargets('', '    steps: { multipart: false, batchDelete: false, listBuckets: false }'), {});
  assert.deepEqual(off.targets[1]!.steps, { multipart: false, batchDelete: false, listBuckets: false });
  assert.throws(() => parseConfig(twoTargets('', '    steps: { multipart: "no" }'), {}), /targets\.1\.steps\.multipart: /);
});
