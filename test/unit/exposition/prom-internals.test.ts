// The seam to prom-client's internals, held to prom-client's own public view of the same metrics:
// an upgrade that renames or reshapes what the renderer reads in place fails here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { bucketCount, metricData, metricsOf, plainMetric, seriesHandle, summaryRevision } from '../../../src/exposition/prom-internals.js';

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

// Handles write in place what prom-client's inc/observe would: twins fed the same values through
// prom-client must read the same, also across reset() and a removed series.
function twins() {
  const mine = new Registry();
  const theirs = new Registry();
  const make = (registers: Registry[]) => ({
    c: new Counter({ name: 'c_total', help: 'c', labelNames: ['target', 'd'], registers }),
    h: new Histogram({ name: 'h', help: 'h', labelNames: ['target', 'phase'], buckets: [0.1, 1, 10], registers }),
  });
  return { mine, theirs, m: make([mine]), t: make([theirs]) };
}

test('series handles: what prom-client itself records, also after reset() and removal', async () => {
  const { mine, theirs, m, t } = twins();
  const a = { target: 'a', phase: 'server' };
  const hc = seriesHandle(m.c, { target: 'a', d: 'sent' });
  const hh = seriesHandle(m.h, a);
  const hb = seriesHandle(m.h, { target: 'b', phase: 'server' });
  const feed = (values: number[]) => {
    for (const v of values) {
      hc.add(v); t.c.inc({ target: 'a', d: 'sent' }, v);
      hh.add(v); t.h.observe(a, v);
      hb.add(v / 2); t.h.observe({ target: 'b', phase: 'server' }, v / 2);
    }
  };
  const same = async (when: string) => assert.equal(await mine.metrics(), await theirs.metrics(), when);
  // 0.1 and 10 on a bound, 0 below the first, 20 above the last (+Inf)
  feed([0, 0.05, 0.1, 0.5, 1, 5, 10, 20]);
  await same('first values');
  assert.match(await mine.metrics(), /h_bucket\{le="\+Inf",target="a",phase="server"\} 8/);
  m.h.reset(); t.h.reset();
  m.c.remove({ target: 'a', d: 'sent' }); t.c.remove({ target: 'a', d: 'sent' });
  feed([0.3, 3]);
  await same('after reset() and a removed series');
  m.h.remove(a); t.h.remove(a);
  feed([7]);
  await same('after removing one series of two');
  // while prom-client holds the series, a handle does not go through prom-client at all
  const refuse = () => { throw new Error('went through prom-client'); };
  Object.assign(m.h, { observe: refuse });
  Object.assign(m.c, { inc: refuse });
  hh.add(2); hc.add(2);
  m.h.reset();
  assert.throws(() => hh.add(2), /went through prom-client/, 'a reset series is found again through prom-client');
});

test("series handles: prom-client's refusals stay, exemplars keep prom-client's path", () => {
  const { m } = twins();
  assert.throws(() => seriesHandle(m.c, { target: 'a', d: 'x' }).add(-1), /not possible to decrease/);
  const h = seriesHandle(m.h, { target: 'a', phase: 'x' });
  h.add(1);
  assert.throws(() => h.add(Number.NaN), /not a valid number/);
  assert.throws(() => seriesHandle(m.c, { target: 'a', nope: 'x' }).add(1), /label/i);
  const ex = new Histogram({ name: 'e', help: 'e', labelNames: ['target'], enableExemplars: true, registers: [] });
  assert.throws(() => seriesHandle(ex, { target: 'a' }), /exemplars/);
});
