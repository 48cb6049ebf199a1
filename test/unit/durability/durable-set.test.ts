// The durable set's keys and bytes follow from the config alone: the same on every host and run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { MAX_DURABLE_OBJECTS } from '../../../src/config/durability.js';
import { DURABLE_OBJECT_SIZE, DurableSet, durableContent } from '../../../src/probes/durable-set.js';
import { targetKeyPrefix } from '../../../src/probes/naming.js';

test('keys: under <keyPrefix>durable/<target>/v1/, zero-padded so that listing order is index order', () => {
  const set = new DurableSet('s3prober/', 'ceph-eu');
  assert.equal(set.prefix, 's3prober/durable/ceph-eu/v1/');
  assert.equal(set.key(42), 's3prober/durable/ceph-eu/v1/000042');
  assert.equal(new DurableSet('pfx', 'ceph-eu').prefix, 'pfx/durable/ceph-eu/v1/', 'a key prefix without its slash');
  const keys = [0, 9, 10, 999, MAX_DURABLE_OBJECTS - 1].map((i) => set.key(i));
  assert.deepEqual([...keys].sort(), keys);
  for (const i of [0, 7, MAX_DURABLE_OBJECTS - 1]) assert.equal(set.index(set.key(i)), i);
  for (const k of ['s3prober/durable/ceph-eu/v1/42', 's3prober/durable/ceph-eu/v1/000042x', 's3prober/durable/other/v1/000042', 's3prober/durable/ceph-eu/v2/000042']) {
    assert.equal(set.index(k), undefined, k);
  }
  // never under the keys a target's canary (and its sweep) uses, unless the target is named "durable"
  assert.ok(!set.key(0).startsWith(targetKeyPrefix('s3prober/', 'ceph-eu')));
});

test('content: the same bytes for the same key, every time; other bytes for every other key', () => {
  const set = new DurableSet('s3prober/', 'ceph-eu');
  const a = durableContent(set.key(1));
  assert.equal(a.length, DURABLE_OBJECT_SIZE);
  assert.ok(a.equals(durableContent(set.key(1))));
  const others = [set.key(2), new DurableSet('s3prober/', 'ceph-us').key(1), new DurableSet('other/', 'ceph-eu').key(1)];
  for (const k of others) assert.ok(!a.equals(durableContent(k)), k);
  // incompressible: a store that deduplicates or compresses cannot shortcut it
  assert.ok(gzipSync(a).length > DURABLE_OBJECT_SIZE * 0.99);
  // not a repeating block
  assert.ok(!a.subarray(0, 32).equals(a.subarray(32, 64)));
});
