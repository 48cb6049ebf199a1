// Object sizes the prober can really write, and multipart parts S3 accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { MAX_OBJECT_SIZE, MIN_PART_SIZE, S3_MAX_PARTS, S3_MIN_PART_SIZE } from '../../../src/config/limits.js';
import { formatBytes } from '../../../src/config/units.js';
import { makePayload } from '../../../src/probes/payload.js';
import { configError, minimal } from './parse.js';

const env = { SECRET: 'topsecretvalue' };

test('object sizes above the largest the prober holds in memory are refused, in human units', () => {
  // 2 GiB is where making the payload throws (the crash every cycle hit); the check is before allocating.
  assert.throws(() => makePayload(2 * 1024 ** 3), RangeError);
  const limit = formatBytes(MAX_OBJECT_SIZE);
  for (const size of ['2GiB', MAX_OBJECT_SIZE + 1]) {
    assert.equal(
      configError(minimal('', `objectSizes: [4KiB, ${size}]`)),
      `invalid config:\n  targets.0.objectSizes.1: at most ${limit}: the prober holds each payload in memory`,
    );
  }
  const c = parseConfig(minimal('', `objectSizes: [${limit}, ${MAX_OBJECT_SIZE - 1}]`), env);
  assert.deepEqual(c.targets[0]!.objectSizes, [MAX_OBJECT_SIZE, MAX_OBJECT_SIZE - 1]);
  assert.match(configError(minimal('', 'objectSizes: [0]')), /objectSizes\.0: at least 1B$/);
});

test('multipart: parts no smaller than S3 takes, the largest object in at most S3_MAX_PARTS of them', () => {
  const c = parseConfig(minimal('', `objectSizes: [${MAX_OBJECT_SIZE}]`), env);
  const { threshold, partSize } = c.targets[0]!.multipart;
  assert.equal(threshold, S3_MIN_PART_SIZE);
  assert.equal(partSize, MIN_PART_SIZE);
  assert.ok(partSize >= S3_MIN_PART_SIZE);
  assert.ok(Math.ceil(MAX_OBJECT_SIZE / partSize) <= S3_MAX_PARTS, 'the default part size uploads the largest object');

  const err = (multipart: string) => configError(minimal('', `multipart: ${multipart}`));
  assert.equal(err(`{ partSize: ${MIN_PART_SIZE - 1} }`),
    `invalid config:\n  targets.0.multipart.partSize: at least ${formatBytes(MIN_PART_SIZE)}: S3's smallest part, and the largest object in at most ${S3_MAX_PARTS.toLocaleString('en-US')} parts`);
  assert.equal(err(`{ partSize: ${MAX_OBJECT_SIZE + 1} }`), `invalid config:\n  targets.0.multipart.partSize: at most ${formatBytes(MAX_OBJECT_SIZE)}: no object is larger`);
  assert.equal(err('{ threshold: 4MiB }'), `invalid config:\n  targets.0.multipart.threshold: at least ${formatBytes(S3_MIN_PART_SIZE)}: S3's smallest part`);
  assert.ok(err(`{ threshold: ${MAX_OBJECT_SIZE + 1} }`).endsWith(
    `multipart.threshold: at most ${formatBytes(MAX_OBJECT_SIZE)}: no object is larger; \`steps: { multipart: false }\` turns multipart off`));
  const ok = parseConfig(minimal('', `multipart: { threshold: 8MiB, partSize: ${formatBytes(MAX_OBJECT_SIZE)} }`), env);
  assert.deepEqual(ok.targets[0]!.multipart, { threshold: 8 * 1024 ** 2, partSize: MAX_OBJECT_SIZE });
});
