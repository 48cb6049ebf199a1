// A pass over the durable set counts as full only when every object in it got a verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassTally } from '../../../src/probes/durable-pass.js';

test('a full pass: every object visited with a verdict; the oldest intact one is the oldest write', () => {
  const t = new PassTally(4);
  assert.equal(t.add({ state: 'ok', writtenAt: 3000 }), undefined);
  assert.equal(t.add({ state: 'missing' }), undefined);
  assert.equal(t.add({ state: 'ok', writtenAt: 2000 }), undefined);
  assert.equal(t.ended, false);
  const before = Date.now();
  const pass = t.add({ state: 'corrupt' });
  assert.equal(t.ended, true);
  assert.ok(pass);
  assert.deepEqual(pass.objects, { ok: 2, missing: 1, corrupt: 1 });
  assert.equal(pass.oldestWrittenAt, 2000, 'missing and corrupt objects have no say');
  assert.ok(pass.endedAt >= before && pass.endedAt <= Date.now());
});

test('a pass with an object unverified is not full; one with nothing intact has no oldest object', () => {
  const t = new PassTally(2);
  t.add(undefined);
  assert.equal(t.add({ state: 'ok', writtenAt: 1 }), undefined);
  assert.equal(t.ended, true);
  assert.equal(t.unverified, 1);
  const lost = new PassTally(1).add({ state: 'missing' });
  assert.deepEqual(lost?.objects, { ok: 0, missing: 1, corrupt: 0 });
  assert.equal(lost && 'oldestWrittenAt' in lost, false);
});
