// The `durability` block: opt-in, defaults, bounds with their reasons, strict keys, a bucket of its
// own; and README states the bounds the code has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import {
  DEFAULT_DURABLE_OBJECTS, DEFAULT_VERIFY_PER_CYCLE, MAX_DURABLE_OBJECTS, MAX_VERIFY_PER_CYCLE,
} from '../../../src/config/durability.js';
import { formatBytes } from '../../../src/config/units.js';
import { DURABLE_OBJECT_SIZE } from '../../../src/probes/durable-set.js';
import { REPO_ROOT } from '../../support/rgw.js';
import { configError, minimal } from './parse.js';

const env = { SECRET: 'topsecretvalue' };

test('off unless configured; a bucket is all it needs', () => {
  assert.equal(parseConfig(minimal(), env).targets[0]!.durability, undefined);
  const d = parseConfig(minimal('', 'durability: { bucket: s3prober-durable }'), env).targets[0]!.durability;
  assert.deepEqual(d, { bucket: 's3prober-durable', objects: DEFAULT_DURABLE_OBJECTS, verifyPerCycle: DEFAULT_VERIFY_PER_CYCLE });
});

test('bounds, strict keys, and a bucket that is no fixed canary bucket', () => {
  const err = (durability: string, more = '') => configError(minimal('', `durability: ${durability}${more}`));
  assert.match(err('{}'), /targets\.0\.durability\.bucket: required/);
  assert.match(err('{ bucket: Bad_Name }'), /durability\.bucket: not a valid S3 bucket name/);
  assert.match(err(`{ bucket: d-b, objects: ${MAX_DURABLE_OBJECTS + 1} }`), new RegExp(`durability\\.objects: .*${MAX_DURABLE_OBJECTS}`));
  assert.match(err('{ bucket: d-b, objects: 0 }'), /durability\.objects: /);
  assert.match(err(`{ bucket: d-b, objects: ${MAX_DURABLE_OBJECTS}, verifyPerCycle: ${MAX_VERIFY_PER_CYCLE + 1} }`), new RegExp(`durability\\.verifyPerCycle: .*${MAX_VERIFY_PER_CYCLE}`));
  assert.match(err('{ bucket: d-b, objects: 10, verifyPerCycle: 11 }'), /durability\.verifyPerCycle: at most objects \(10\): a cycle verifies each object at most once/);
  assert.match(err('{ bucket: d-b, object: 10 }'), /durability\.object: unknown key, did you mean "objects"\?/);
  assert.match(err('{ bucket: canary }', '\nbucket: { mode: fixed, name: canary }'), /targets\.0\.durability\.bucket: a fixed bucket of the canary/);
  const ok = parseConfig(minimal('', `durability: { bucket: d-b, objects: ${MAX_DURABLE_OBJECTS}, verifyPerCycle: ${MAX_VERIFY_PER_CYCLE} }`), env);
  assert.equal(ok.targets[0]!.durability!.verifyPerCycle, MAX_VERIFY_PER_CYCLE);
});

test('README states the bounds and the object size the code has', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  assert.ok(readme.includes(`objects: ${DEFAULT_DURABLE_OBJECTS}           # the set: 1 to ${MAX_DURABLE_OBJECTS} objects of ${formatBytes(DURABLE_OBJECT_SIZE)}`));
  assert.ok(readme.includes(`verifyPerCycle: ${DEFAULT_VERIFY_PER_CYCLE}      # 1 to ${MAX_VERIFY_PER_CYCLE}, at most \`objects\``));
  assert.ok(readme.includes(`**storage** \`objects\` x ${formatBytes(DURABLE_OBJECT_SIZE)}`));
});
