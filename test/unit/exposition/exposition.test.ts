// Our /metrics renderer against prom-client's own: the same families and the same samples, in both
// formats, for every metric type, hard label values and special numbers. Reading prom-client's
// histogram and summary state in place is only safe while this holds.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import zlib from 'node:zlib';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { prerender, renderMetrics, type ExpositionFormat } from '../../../src/exposition/render.js';

const HARD = ['plain', 'quote " inside', 'back\\slash', 'new\nline', 'ünïcødé ✓', ''];

/** A registry with every kind of series the exporter has, filled deterministically. */
function filled(): Registry {
  const r = new Registry();
  const registers = [r];
  const c = new Counter({ name: 't_ops_total', help: 'Ops.\nSecond line with \\ backslash.', labelNames: ['target', 'outcome'], registers });
  const g = new Gauge({ name: 't_value', help: 'Values.', labelNames: ['target'], registers });
  const bare = new Gauge({ name: 't_up', help: 'No labels.', registers });
  const h = new Histogram({ name: 't_duration_seconds', help: 'Durations.', labelNames: ['target', 'op'], buckets: [0.001, 0.01, 0.1, 1, 10], registers });
  const hb = new Histogram({ name: 't_bare_seconds', help: 'Unlabelled histogram.', buckets: [0.5, 2], registers });
  const s = new Summary({ name: 't_latency_seconds', help: 'Window.', labelNames: ['target'], percentiles: [0.5, 0.9, 0.99], maxAgeSeconds: 600, ageBuckets: 5, registers });
  new Counter({ name: 't_collected_total', help: 'Set at collect time.', registers, collect() { this.inc(3); } });
  HARD.forEach((target, i) => {
    c.inc({ target, outcome: 'success' }, i + 1);
    c.inc({ target, outcome: 'failure' }, 0);
    g.set({ target }, i * 1.5);
    for (let k = 0; k < 50; k++) {
      const v = ((k * 37 + i * 11) % 97) / 40; // 0 .. 2.4 s, spread over the buckets
      h.observe({ target, op: k % 2 ? 'GetObject' : 'PutObject' }, v);
      s.observe({ target }, v);
    }
  });
  g.set({ target: 'nan' }, NaN);
  g.set({ target: 'inf' }, Infinity);
  g.set({ target: '-inf' }, -Infinity);
  bare.set(1);
  hb.observe(1);
  hb.observe(100);
  return r;
}

interface Parsed {
  meta: Set<string>;
  samples: Map<string, number>;
}

function unescapeLabel(v: string): string {
  return v.replace(/\\(["\\n])/g, (_, ch: string) => (ch === 'n' ? '\n' : ch));
}

/** A strict parse of the text format: every sample line must match, its labels are sorted. */
function parse(text: string): Parsed {
  const meta = new Set<string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line === '# EOF') continue;
    if (line.startsWith('#')) {
      meta.add(line);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const labels: string[] = [];
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy;
    let consumed = 0;
    for (let l = re.exec(m[2] ?? ''); l; l = re.exec(m[2] ?? '')) {
      labels.push(`${l[1]}=${JSON.stringify(unescapeLabel(l[2]!))}`);
      consumed = re.lastIndex;
    }
    assert.equal(consumed, (m[2] ?? '').length, `labels not fully parsed: ${line}`);
    const raw = m[3]!;
    const special: Record<string, number> = { '+Inf': Infinity, '-Inf': -Infinity, NaN, Nan: NaN }; // prom-client writes "Nan"
    const value = raw in special ? special[raw]! : Number(raw);
    assert.ok(!Number.isNaN(value) || raw in special, `bad value in ${line}`);
    samples.set(`${m[1]}{${labels.sort().join(',')}}`, value);
  }
  return { meta, samples };
}

async function both(format: ExpositionFormat): Promise<{ ours: Parsed; theirs: Parsed; text: string }> {
  const r = filled();
  (r as unknown as { setContentType(t: string): void }).setContentType(format === 'openmetrics' ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
  // prom-client first: it compresses the summaries' digests, which ours then reads unchanged
  const theirs = parse(await r.metrics());
  // collect callbacks ran once more for prom-client: run ours against the same registry state
  const text = (await renderMetrics([r], format)).text().toString('utf8');
  return { ours: parse(text), theirs, text };
}

function assertSameSamples(ours: Parsed, theirs: Parsed): void {
  const skip = (k: string) => k.startsWith('t_collected'); // incremented by each render's collect
  const a = [...ours.samples.keys()].filter((k) => !skip(k)).sort();
  const b = [...theirs.samples.keys()].filter((k) => !skip(k)).sort();
  assert.deepEqual(a, b);
  for (const k of a) assert.ok(Object.is(ours.samples.get(k), theirs.samples.get(k)), `${k}: ours ${ours.samples.get(k)}, prom-client ${theirs.samples.get(k)}`);
  assert.equal(ours.samples.get('t_collected_total{}')! - theirs.samples.get('t_collected_total{}')!, 3);
}

describe('metrics exposition', () => {
  test('Prometheus text: the same HELP/TYPE lines and samples as prom-client', async () => {
    const { ours, theirs, text } = await both('prometheus');
    assert.ok(ours.samples.size > 150, `only ${ours.samples.size} samples`);
    assertSameSamples(ours, theirs);
    assert.deepEqual([...ours.meta].sort(), [...theirs.meta].sort());
    assert.match(text, /t_value\{target="nan"\} NaN\n/);
    assert.match(text, /t_value\{target="inf"\} \+Inf\n/);
    assert.match(text, /t_duration_seconds_bucket\{target="quote \\" inside",op="PutObject",le="\+Inf"\} 25\n/);
    assert.match(text, /t_ops_total\{target="new\\nline",outcome="success"\} 4\n/);
  });

  test('OpenMetrics: counters as family + _total samples, # EOF last; same samples as prom-client', async () => {
    const { ours, theirs, text } = await both('openmetrics');
    assertSameSamples(ours, theirs);
    assert.ok(ours.meta.has('# TYPE t_ops counter'));
    assert.ok(text.endsWith('# EOF\n'));
    assert.equal(text.indexOf('# EOF'), text.length - 6);
  });

  test('rendering leaves the metrics untouched: an OpenMetrics render, then text still says _total', async () => {
    const r = filled();
    await renderMetrics([r], 'openmetrics');
    const text = (await renderMetrics([r], 'prometheus')).text().toString('utf8');
    assert.match(text, /# TYPE t_ops_total counter\n/);
  });

  test('several registries render as one exposition, default process metrics included; promtool lints it clean', async () => {
    const proc = new Registry();
    collectDefaultMetrics({ register: proc });
    for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) proc.removeSingleMetric(n);
    const text = (await renderMetrics([proc, filled()], 'prometheus')).text().toString('utf8');
    assert.match(text, /^process_cpu_user_seconds_total \d/m);
    assert.match(text, /^t_duration_seconds_count\{target="plain",op="GetObject"\} 25$/m);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(lint.error, undefined, 'promtool must be installed (scripts/setup.sh)');
    // promtool only objects to what the test data does on purpose: a non-base-unit help line is fine
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
  });

  test('kept histogram text follows every observation, reset and removal, prerendered or not', async () => {
    const r = filled();
    const h = r.getSingleMetric('t_duration_seconds') as Histogram;
    const same = async () => {
      const theirs = parse(await r.metrics());
      const ours = parse((await renderMetrics([r], 'prometheus')).text().toString('utf8'));
      assertSameSamples(ours, theirs);
      return ours;
    };
    prerender([r]);
    await same();
    // changed after the prerender: the scrape must not serve the kept text
    h.observe({ target: 'plain', op: 'GetObject' }, 0.005);
    let ours = await same();
    assert.equal(ours.samples.get('t_duration_seconds_count{op="GetObject",target="plain"}'), 26);
    assert.equal(ours.samples.get('t_duration_seconds_bucket{le="0.01",op="GetObject",target="plain"}'), 1);
    // several observations between renders, one of them prerendered halfway
    h.observe({ target: 'plain', op: 'GetObject' }, 0.5);
    prerender([r]);
    h.observe({ target: 'plain', op: 'GetObject' }, 50);
    ours = await same();
    assert.equal(ours.samples.get('t_duration_seconds_bucket{le="+Inf",op="GetObject",target="plain"}'), 28);
    // a removed series disappears; a reset starts from zero, not from the kept text
    h.remove({ target: 'plain', op: 'PutObject' });
    ours = await same();
    assert.equal(ours.samples.get('t_duration_seconds_count{op="PutObject",target="plain"}'), undefined);
    h.reset();
    h.observe({ target: 'plain', op: 'GetObject' }, 0.005);
    ours = await same();
    assert.equal(ours.samples.get('t_duration_seconds_count{op="GetObject",target="plain"}'), 1);
    const durationSeries = [...ours.samples.keys()].filter((k) => k.startsWith('t_duration_seconds'));
    assert.equal(durationSeries.length, 8, durationSeries.join('\n')); // 5 buckets + Inf + sum + count of one series
  });

  test('kept counter, gauge and summary text follows every change; gzip of the kept parts reads as the text', async () => {
    const r = filled();
    const c = r.getSingleMetric('t_ops_total') as Counter;
    const g = r.getSingleMetric('t_value') as Gauge;
    // a window of two 300 ms age buckets: its quantiles move with time alone
    const s = new Summary({ name: 't_window_seconds', help: 'Short window.', labelNames: ['target'], percentiles: [0.5], maxAgeSeconds: 0.6, ageBuckets: 2, registers: [r] });
    const same = async () => {
      const theirs = parse(await r.metrics());
      const ours = parse((await renderMetrics([r], 'prometheus')).text().toString('utf8'));
      assertSameSamples(ours, theirs);
      const e = await renderMetrics([r], 'openmetrics');
      assert.ok(zlib.gunzipSync(e.gzip()).equals(e.text()), 'gzip of the parts is the text');
      return ours;
    };
    s.observe({ target: 'plain' }, 3);
    let ours = await same();
    assert.equal(ours.samples.get('t_window_seconds{quantile="0.5",target="plain"}'), 3);
    c.inc({ target: 'plain', outcome: 'success' }, 10);
    g.set({ target: 'plain' }, 42); // a gauge replaces its entry on set
    prerender([r]); // compresses ahead too: gzip was asked for
    g.set({ target: 'plain' }, 43);
    ours = await same();
    assert.equal(ours.samples.get('t_ops_total{outcome="success",target="plain"}'), 11);
    assert.equal(ours.samples.get('t_value{target="plain"}'), 43);
    g.remove({ target: 'plain' });
    g.set({ target: 'plain' }, 44); // same key again, now last in the map
    ours = await same();
    assert.equal(ours.samples.get('t_value{target="plain"}'), 44);
    // the window rotates out the observation without any new one
    await sleep(700);
    ours = await same();
    assert.equal(ours.samples.get('t_window_seconds{quantile="0.5",target="plain"}'), 0);
    assert.equal(ours.samples.get('t_window_seconds_count{target="plain"}'), 1);
  });
});
