// A family's groups (one per target) are re-rendered only when one of their own series changes:
// a series added to one target, or removed from it, leaves the other targets' kept text alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Part } from '../../../src/exposition/gzip-parts.js';
import { SeriesGroups } from '../../../src/exposition/series-groups.js';

type Entry = { labels: Record<string, string>; value: number };

function family() {
  const rendered: string[] = [];
  const groups = new SeriesGroups<Entry>({
    version: (e) => e.value,
    render: (e) => {
      rendered.push(`${e.labels.target}/${e.labels.op}`);
      return `x{target="${e.labels.target}",op="${e.labels.op}"} ${e.value}\n`;
    },
  }, 'target');
  const parts = (map: Record<string, Entry>) => {
    rendered.length = 0;
    const out: Part[] = [];
    groups.parts(map, out);
    return { out, text: out.map((p) => p.text.toString()).join(''), rendered: [...rendered] };
  };
  return parts;
}

const entry = (target: string, op: string, value: number): [string, Entry] => [`op:${op},target:${target}`, { labels: { target, op }, value }];

test('a series added to one target re-renders that target only; the others keep their parts', () => {
  const parts = family();
  const map: Record<string, Entry> = Object.fromEntries([entry('a', 'Get', 1), entry('b', 'Get', 2), entry('c', 'Get', 3)]);
  const first = parts(map);
  assert.deepEqual(first.rendered, ['a/Get', 'b/Get', 'c/Get']);
  assert.deepEqual(parts(map).rendered, [], 'nothing changed: nothing rendered');
  // a new series of b (e.g. its first failure reason) lands at the end of the map
  const [k, e] = entry('b', 'Put', 5);
  map[k] = e;
  const second = parts(map);
  assert.deepEqual(second.rendered, ['b/Get', 'b/Put']);
  assert.equal(second.out[0], first.out[0], "a's part is the one kept");
  assert.equal(second.out[2], first.out[2], "c's part is the one kept");
  assert.match(second.text, /op="Put"} 5\n/);
  // a change to a kept group after the regroup is still seen
  map['op:Get,target:c'] = { labels: { target: 'c', op: 'Get' }, value: 4 };
  assert.deepEqual(parts(map).rendered, ['c/Get']);
  // a removed series: its target re-rendered, the rest kept
  delete map['op:Get,target:a'];
  const third = parts(map);
  assert.deepEqual(third.rendered, []);
  assert.equal(third.out.length, 2, 'a has no series left: no part');
  assert.doesNotMatch(third.text, /target="a"/);
});

test('a replaced map (reset) renders every group again, even with the same keys and versions', () => {
  const parts = family();
  const pairs = [entry('a', 'Get', 1), entry('b', 'Get', 2)];
  parts(Object.fromEntries(pairs));
  const again = parts(Object.fromEntries(pairs.map(([k, v]) => [k, { ...v }])));
  assert.deepEqual(again.rendered, ['a/Get', 'b/Get']);
});

test('a kept part owns its memory: short texts do not pin a shared 8 KiB slab', () => {
  const parts = family();
  const map: Record<string, Entry> = Object.fromEntries(Array.from({ length: 50 }, (_, i) => entry(`t${i}`, 'Get', i)));
  const { out } = parts(map);
  assert.equal(out.length, 50);
  for (const p of out) {
    assert.ok(p.text.length < 100, 'short enough that Buffer.from() would have pooled it');
    assert.equal(p.text.buffer.byteLength, p.text.length, 'backed by a buffer of its own size');
  }
  assert.equal(new Set(out.map((p) => p.text.buffer)).size, 50);
});
