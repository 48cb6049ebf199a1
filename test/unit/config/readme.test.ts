// The README's configuration reference is a config the prober takes, and states the limits it has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import { MAX_OBJECT_SIZE, MIN_PART_SIZE } from '../../../src/config/limits.js';
import { DURATION_UNIT_NAMES, formatBytes, SIZE_UNIT_NAMES } from '../../../src/config/units.js';
import { REPO_ROOT } from '../../support/rgw.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('\n## Configuration\n'), readme.indexOf('\n## What a cycle does\n'));

test("the README's configuration example parses, with every step shown", () => {
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(yaml, 'the Configuration section has a YAML example');
  const c = parseConfig(yaml, { EU_ACCESS_KEY: 'AKIDEXAMPLE', EU_SECRET_KEY: 'secret' });
  const t = c.targets[0]!;
  assert.deepEqual(Object.keys(t.steps).filter((k) => !new RegExp(`^ +${k}: true +# false: `, 'm').test(yaml)), [], 'each step documented');
  assert.equal(t.timeout, 20_000);
  assert.deepEqual(c.replication.map((r) => [r.source, r.destination, r.timeout]), [['ceph-eu', 'ceph-us', 15 * 60_000]]);
});

test('the README states the size limits and the units the code has', () => {
  assert.ok(section.includes(`each at most ${formatBytes(MAX_OBJECT_SIZE)}: the prober holds each payload in memory`));
  assert.ok(section.includes(`both ${formatBytes(MIN_PART_SIZE)} (S3's smallest part) to ${formatBytes(MAX_OBJECT_SIZE)}`));
  assert.ok(section.includes(`Sizes take ${SIZE_UNIT_NAMES.map((u) => `\`${u}\``).join(', ')} (`));
  assert.ok(section.includes(`durations ${DURATION_UNIT_NAMES.map((u) => `\`${u}\``).join(', ')},`));
});
