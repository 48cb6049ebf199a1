// The real exporter against RGW: GET /api/v1/status validates against the JSON Schema it serves and
// says what /metrics says about the same cycle (operations, outcomes, reasons, durations), with the
// kernel's phases where the tracer joined a request. One round only, so both views are of one cycle.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PROBER_METRICS } from '../../src/metrics/names.js';
import type { StatusV1 } from '../../src/server/status-schema.js';
import type { Exporter } from '../support/exporter.js';
import { startStatusExporter, statusValidator } from '../support/status.js';

const WRONG_SECRET = 'wrong-secret-status-1b2c3d';

/** Every sample of a family: its labels and value. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

describe('status API of the running exporter', () => {
  let exp: Exporter;
  let status: StatusV1;
  let text: string;

  before(async () => {
    exp = await startStatusExporter('stapi', WRONG_SECRET);
    text = (await exp.metrics()).text;
    status = (await (await fetch(`${exp.url}/api/v1/status`)).json()) as StatusV1;
  });

  after(async () => {
    await exp?.stop();
  });

  test('the response validates against the served JSON Schema', async () => {
    const schema = (await (await fetch(`${exp.url}/api/v1/status/schema`)).json()) as Record<string, unknown>;
    assert.deepEqual(statusValidator(schema)(status), []);
    assert.equal(status.apiVersion, 'v1');
    assert.deepEqual(status.targets.map((t) => t.name), ['good', 'badkey']);
    assert.deepEqual(status.targets[0]!.labels, { region: 'local' });
    assert.doesNotMatch(JSON.stringify(status), new RegExp(WRONG_SECRET));
  });

  test('same operations and outcomes as /metrics, per target', () => {
    for (const t of status.targets) {
      const cycle = t.probes[0]!.lastCycle!;
      assert.ok(cycle, t.name);
      const fromApi: Record<string, number> = {};
      for (const o of cycle.operations) fromApi[`${o.operation} ${o.outcome}`] = (fromApi[`${o.operation} ${o.outcome}`] ?? 0) + 1;
      const fromMetrics: Record<string, number> = {};
      for (const s of samples(text, PROBER_METRICS.opTotal)) {
        if (s.labels.target === t.name && s.value > 0) fromMetrics[`${s.labels.operation} ${s.labels.outcome}`] = s.value;
      }
      assert.deepEqual(fromApi, fromMetrics, t.name);
      // the last verdict of each operation, as s3prober_operation_success holds it
      const last: Record<string, number> = {};
      for (const o of cycle.operations) if (o.outcome !== 'skipped') last[o.operation] = o.outcome === 'success' ? 1 : 0;
      const gauge = Object.fromEntries(samples(text, PROBER_METRICS.opSuccess).filter((s) => s.labels.target === t.name).map((s) => [s.labels.operation, s.value]));
      assert.deepEqual(last, gauge, t.name);
    }
  });

  test('failures carry the reasons /metrics counts; the durations are the ones exported', () => {
    const bad = status.targets[1]!.probes[0]!.lastCycle!;
    assert.equal(bad.success, false);
    const create = bad.operations.find((o) => o.operation === 'CreateBucket')!;
    assert.equal(create.outcome, 'failure');
    assert.equal(create.reason, 'auth');
    assert.equal(create.httpStatus, 403);
    const failures = samples(text, PROBER_METRICS.opFailures).filter((s) => s.labels.target === 'badkey' && s.value > 0);
    assert.deepEqual(failures.map((s) => `${s.labels.operation} ${s.labels.reason}`).sort(), bad.operations.filter((o) => o.outcome === 'failure').map((o) => `${o.operation} ${o.reason}`).sort());
    const good = status.targets[0]!.probes[0]!.lastCycle!;
    assert.equal(good.success, true);
    const lastBySize = new Map<string, number>();
    for (const o of good.operations) lastBySize.set(`${o.operation} ${o.size}`, o.durationSeconds!);
    for (const s of samples(text, PROBER_METRICS.opLast).filter((x) => x.labels.target === 'good')) {
      const api = lastBySize.get(`${s.labels.operation} ${s.labels.size}`);
      assert.ok(api !== undefined && Math.abs(api - s.value) <= 1e-9 * Math.max(1, api), `${s.labels.operation} ${s.labels.size}: ${api} vs ${s.value}`);
    }
    assert.equal(lastBySize.size, samples(text, PROBER_METRICS.opLast).filter((x) => x.labels.target === 'good').length);
  });

  test('the tracer is up and its kernel phases, with the client overhead, make up each joined request', () => {
    assert.equal(status.tracer.up, true, 'CI runs as root with the addon built by scripts/setup.sh');
    const requests = status.targets[0]!.probes[0]!.lastCycle!.operations.flatMap((o) => o.requests.map((r) => ({ o, r })));
    const joined = requests.filter(({ r }) => r.wire);
    assert.ok(joined.length >= requests.length / 2, `${joined.length} of ${requests.length} requests joined`);
    const get = joined.find(({ o }) => o.operation === 'GetObject' && o.size === '1MiB');
    assert.ok(get?.r.wire?.phases.server !== undefined && get.r.wire.phases.transfer !== undefined, JSON.stringify(get));
    for (const { o, r } of joined) {
      const w = r.wire!;
      if (!w.overheadSeconds || w.phases.request === undefined || w.phases.server === undefined || w.phases.transfer === undefined) continue;
      const sum = Object.values(w.phases).reduce((a, b) => a + b, 0) + w.overheadSeconds;
      assert.ok(Math.abs(sum - r.durationSeconds!) < 1e-6, `${o.operation}: phases ${sum} vs request ${r.durationSeconds}`);
    }
  });

  test('the history holds the round: one sample per operation run, successes with their percentiles', () => {
    const good = status.targets[0]!.probes[0]!;
    const runs: Record<string, number> = {};
    for (const o of good.lastCycle!.operations) runs[o.operation] = (runs[o.operation] ?? 0) + 1;
    for (const h of good.history) {
      assert.equal(h.success, runs[h.operation], h.operation);
      assert.equal(h.successRatio, 1);
      assert.ok(h.p50Seconds !== null && h.p99Seconds !== null && h.p50Seconds <= h.p99Seconds, h.operation);
    }
    assert.deepEqual(good.history.map((h) => h.operation).sort(), Object.keys(runs).sort());
  });
});
