// The seam to prom-client's internals, held to prom-client's own public view of the same metrics:
// an upgrade that renames or reshapes what the renderer reads in place fails here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { bucketCount, metricData, metricsOf, plainMetric, summaryRevision } from '../../../src/exposition/prom-internals.js';

function registry() {
  const r = new Registry();
  const registers = [r];
  const c = new Counter({ name: 'c_total', help: 'a counter', labelNames: ['target', 'k'], registers });
  const g = new Gauge({ name: 'g', help: 'a gauge', labelNames: ['target'], registers });
  const h = new Histogram({ name: 'h', help: 'a histogram', labelNames: ['target'], buckets: [0.1, 1, 10], registers });
  const s = new Summary({ name: 's', help: 'a summary', labelNames: ['target'], percentiles: [0.5, 0.9], maxAgeSeconds: 60, ageBuckets: 2, registers });
  const cb = new Gauge({ name: 'cb', help: 'with a collect callback', registers, collect() { this.set(7); } });
  c.inc({ target: 'a', k: 'x' }, 3);
  c.inc({ target: 'b', k: 'y' });
  g.set({ target: 'a' }, 2.5);
  for (const v of [0.05, 0.5, 5, 50]) h.observe({ target: 'a' }, v);
  for (const v of [1, 2, 3]) s.observe({ target: 'a' }, v);
  return { r, c, g, h, s, cb };
}

test('every metric of the registries, in registration order', () => {
  const { r } = registry();
  assert.deepEqual(metricsOf([r]).map((m) => (m as unknown as { name: string }).name), ['c_total', 'g', 'h', 's', 'cb']);
});

test('counters and gauges: the same series and values as prom-client reports', async () => {
  const { c, g } = registry();
  for (const m of [c, g]) {
    const p = plainMetric(m);
    assert.ok(p && (p.kind === 'counter' || p.kind === 'gauge'));
    assert.equal(p.kind, m instanceof Counter ? 'counter' : 'gauge');
    const pub = await metricData(m);
    assert.equal(p.name, pub.name);
    assert.equal(p.help, pub.help);
    assert.equal(p.labelNames?.[0], 'target');
    const mine = Object.values(p.hashMap).map((e) => [e.labels, e.value]);
    assert.deepEqual(mine, pub.values.map((v) => [v.labels, v.value]));
  }
});

test('histograms: bucket counts and sums as prom-client reports them', async () => {
  const { h } = registry();
  const p = plainMetric(h);
  assert.ok(p?.kind === 'histogram');
  assert.deepEqual(p.upperBounds, [0.1, 1, 10]);
  const e = Object.values(p.hashMap)[0]!;
  const pub = await metricData(h);
  let acc = 0;
  for (const le of p.upperBounds) {
    acc += bucketCount(e, le);
    const v = pub.values.find((x) => x.metricName === 'h_bucket' && x.labels?.le === le);
    assert.equal(acc, v?.value, `le=${le}`);
  }
  assert.equal(e.count, 4);
  assert.equal(e.sum, pub.values.find((x) => x.metricName === 'h_sum')?.value);
});

test("summaries: quantiles from the entry's digest, and a revision that the window's rotation moves", async () => {
  const { s } = registry();
  const p = plainMetric(s);
  assert.ok(p?.kind === 'summary');
  const e = Object.values(p.hashMap)[0]!;
  const pub = await metricData(s);
  for (const q of p.percentiles) assert.equal(e.td.percentile(q), pub.values.find((v) => v.labels?.quantile === q)?.value, `q=${q}`);
  assert.equal(e.count, 3);
  assert.equal(typeof summaryRevision(e), 'number');
});

test('a metric with a collect callback is not read in place', async () => {
  const { cb } = registry();
  assert.equal(plainMetric(cb), undefined);
  assert.equal((await metricData(cb)).values[0]?.value, 7);
});

test('the view reads the live map: reset() replaces it', () => {
  const { c } = registry();
  const p = plainMetric(c)!;
  assert.equal(Object.keys(p.hashMap).length, 2);
  c.reset();
  assert.equal(Object.keys(p.hashMap).length, 0);
  c.inc({ target: 'z', k: 'w' });
  assert.equal(Object.keys(p.hashMap).length, 1);
});
