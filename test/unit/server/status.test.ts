// The status API and page from results: the object validates against the served JSON Schema, the
// page is a view of it (one row per operation, bars split only into measured phases, failures with
// their reason, user data escaped), and the last hour is a bounded ring.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { CycleResult, OperationResult } from '../../../src/results/cycle.js';
import type { DurabilityResult } from '../../../src/results/durability.js';
import type { RequestTrace } from '../../../src/results/request-trace.js';
import { createApp } from '../../../src/server/app.js';
import { StatusBoard, type TargetSource } from '../../../src/server/status-board.js';
import { quantile } from '../../../src/server/status-history.js';
import { renderStatusPage } from '../../../src/server/status-page.js';
import { statusJsonSchema, type StatusV1 } from '../../../src/server/status-schema.js';
import { segmentsOf } from '../../../src/server/waterfall.js';
import { WireView } from '../../../src/server/wire-view.js';
import { statusValidator } from '../../support/status.js';

const HOSTILE = '<script>alert("x")</script>&';
const T0 = Date.parse('2026-05-01T12:00:00Z');
const validate = statusValidator(statusJsonSchema());

function trace(startMs: number, ms: number, phases: RequestTrace['phases'], extra: Partial<RequestTrace> = {}): RequestTrace {
  const startNs = BigInt(startMs * 1e6);
  return { target: 'a', operation: 'x', method: 'PUT', protocol: 'http:', reused: false, startNs, endNs: startNs + BigInt(ms * 1e6), phases, bytesSent: 0, bytesReceived: 0, ...extra };
}

function op(o: Partial<OperationResult> & Pick<OperationResult, 'operation' | 'outcome'>): OperationResult {
  return { target: 'a', size: '', bytes: 0, traces: [], startedAt: T0, ...o };
}

/** A cycle: PutObject joined to the wire, GetObject not, CreateMultipartUpload failed, the rest skipped. */
function fixture() {
  const wire = new WireView();
  const put = trace(1000, 4, { connect: 0.0005, processing: 0.003, transfer: 0.0005 });
  const kernel = { connect: 0.0004, request: 0.0002, server: 0.0025, transfer: 0.0003 };
  // the kernel's phases back to back from the request's start, as the tracer stamps them
  const phaseTimes: Record<string, { startNs: bigint; endNs: bigint }> = {};
  let at = put.startNs;
  for (const [k, sec] of Object.entries(kernel)) {
    const end = at + BigInt(Math.round(sec * 1e9));
    phaseTimes[k] = { startNs: at, endNs: end };
    at = end;
  }
  wire.record({ trace: put, wire: { phases: kernel, phaseTimes, wireSeconds: 0.003, overheadSeconds: 0.0006, clientSeconds: 0.004, newConnection: true, tls: false, bytesSent: 4096, bytesReceived: 200, retransmits: 0 } });
  const get = trace(1006, 2, { processing: 0.0015, transfer: 0.0005 }, { reused: true, method: 'GET' });
  const failed = trace(1010, 1, { processing: 0.001 }, { method: 'POST', statusCode: 403 });
  const cycle: CycleResult = {
    target: 'a', cycleId: 'c1', startedAt: T0, durationSeconds: 0.02, success: false, leftovers: 0, aborted: false,
    operations: [
      op({ operation: 'PutObject', outcome: 'success', size: '4KiB', bytes: 4096, durationSeconds: 0.004, prepareSeconds: 0.001, traces: [put], startedAt: T0 + 1 }),
      op({ operation: 'GetObject', outcome: 'success', size: '4KiB', bytes: 4096, durationSeconds: 0.002, traces: [get], startedAt: T0 + 6 }),
      op({ operation: 'CreateMultipartUpload', outcome: 'failure', reason: 'auth', errorCode: HOSTILE, httpStatus: 403, message: HOSTILE, durationSeconds: 0.0015, prepareSeconds: 0.0003, traces: [failed], startedAt: T0 + 10 }),
      op({ operation: 'UploadPart', outcome: 'skipped', skippedBecause: 'CreateMultipartUpload', startedAt: T0 + 12 }),
    ],
  };
  const target: TargetSource = {
    name: HOSTILE, endpoint: 'http://127.0.0.1:7480', bucketMode: 'ephemeral', labels: { team: HOSTILE }, running: false,
    durability: { bucket: 'durable', objects: 100, verifyPerCycle: 10 },
    probes: [{ last: cycle }],
  };
  const durable: DurabilityResult = {
    target: HOSTILE, startedAt: T0, durationSeconds: 0.5, verified: 10, filled: 0, stored: 100,
    findings: [{ key: 'k/1', state: 'missing', detail: 'gone', rewritten: true }],
    operations: [op({ operation: 'GetObject', outcome: 'failure', reason: 'timeout' })],
    pass: { endedAt: T0, objects: { ok: 99, missing: 1, corrupt: 0 } },
  };
  const board = new StatusBoard(wire);
  board.onCycle({ ...cycle, target: HOSTILE });
  board.onDurability(durable);
  return { board, target, cycle };
}

function build(): StatusV1 {
  const { board, target } = fixture();
  return board.build([target, { name: 'nodes', endpoint: 'http://s3.example:80', bucketMode: 'ephemeral', labels: {}, running: true, nodes: 'discover', probes: [] }], { up: false, reason: 'disabled in the configuration' }, '1.2.3', T0 + 60_000);
}

test('the API object validates against the JSON Schema, and the schema is strict', () => {
  const s = build();
  assert.deepEqual(validate(s), []);
  assert.deepEqual(validate(JSON.parse(JSON.stringify(s))), [], 'as it goes over the wire');
  const extra = structuredClone(s) as unknown as { targets: { probes: { lastCycle: { operations: Record<string, unknown>[] } }[] }[] };
  extra.targets[0]!.probes[0]!.lastCycle.operations[0]!.undocumented = 1;
  assert.notDeepEqual(validate(extra), [], 'a field the schema does not document is refused');
  const badReason = structuredClone(s);
  (badReason.targets[0]!.probes[0]!.lastCycle!.operations[2] as { reason: string }).reason = 'because';
  assert.notDeepEqual(validate(badReason), [], 'reasons are the fixed set');
});

test('the API object: phases as measured, the wire where joined, history and durability', () => {
  const s = build();
  const [put, get, failed, skipped] = s.targets[0]!.probes[0]!.lastCycle!.operations;
  assert.deepEqual(put!.requests[0]!.wire?.phases, { connect: 0.0004, request: 0.0002, server: 0.0025, transfer: 0.0003 });
  assert.equal(put!.requests[0]!.wire?.overheadSeconds, 0.0006);
  assert.equal(put!.startOffsetSeconds, 0.001);
  assert.equal(get!.requests[0]!.wire, undefined, 'not joined: no wire, no invented phase');
  assert.deepEqual(get!.requests[0]!.clientPhases, { processing: 0.0015, transfer: 0.0005 });
  assert.equal(failed!.reason, 'auth');
  assert.equal(skipped!.skippedBecause, 'CreateMultipartUpload');
  assert.equal(s.tracer.reason, 'disabled in the configuration');
  const h = Object.fromEntries(s.targets[0]!.probes[0]!.history.map((x) => [x.operation, x]));
  assert.deepEqual({ ...h.PutObject, since: undefined }, { operation: 'PutObject', success: 1, failure: 0, skipped: 0, successRatio: 1, p50Seconds: 0.004, p99Seconds: 0.004, since: undefined });
  assert.equal(h.CreateMultipartUpload!.successRatio, 0);
  assert.equal(h.CreateMultipartUpload!.p50Seconds, null, 'a failure has no latency');
  assert.equal(h.UploadPart!.successRatio, null);
  const d = s.targets[0]!.durability!;
  assert.deepEqual(d.last?.findings, { missing: 1 });
  assert.deepEqual(d.last?.failures, { lost: 1, timeout: 1 });
  assert.deepEqual(d.last?.requests, { success: 0, failure: 1 });
  assert.deepEqual(d.lastPass?.objects, { ok: 99, missing: 1, corrupt: 0 });
  assert.equal(s.targets[1]!.nodes, 'discover');
  assert.deepEqual(s.targets[1]!.probes, []);
});

test('the page: one row per operation, bars only for those measured, only measured phases, reasons shown', () => {
  const s = build();
  const html = renderStatusPage(s);
  const rows = [...html.matchAll(/<g class="op (\w+)" role="img" aria-label="([^"]*)" data-operation="(\w+)"/g)];
  assert.deepEqual(rows.map((r) => r[3]), ['PutObject', 'GetObject', 'CreateMultipartUpload', 'UploadPart']);
  assert.equal(html.match(/<rect class="bar"/g)?.length, 3, 'skipped: no bar');
  // PutObject: prepare, then the kernel's phases and the client overhead; GetObject: the client's
  const phasesOf = (opName: string) => {
    const g = html.slice(html.indexOf(`data-operation="${opName}"`));
    return [...g.slice(0, g.indexOf('</g>')).matchAll(/data-phase="(\w+)"/g)].map((m) => m[1]);
  };
  assert.deepEqual(phasesOf('PutObject'), ['prepare', 'connect', 'request', 'server', 'transfer', 'overhead']);
  assert.deepEqual(phasesOf('GetObject'), ['processing', 'transfer']);
  assert.match(rows[2]![2]!, /failure \(auth, HTTP 403, /);
  assert.match(html, /<text class="reason"[^>]*>\u2717 auth, HTTP 403, /);
  // the legend lists what the bars use, nothing else
  assert.match(html, /<span class="sw p-server"><\/span>server/);
  assert.doesNotMatch(html, /<span class="sw p-resolve">/);
  assert.doesNotMatch(html, /<span class="sw p-tls">/);
  // the table fallback and the history beside the waterfall
  assert.match(html, /<tr class="ok"><td>PutObject<\/td><td>4KiB<\/td><td>success<\/td><td>4.00 ms<\/td>/);
  assert.match(html, /<tr><td>CreateMultipartUpload<\/td><td>0\/1<\/td><td class="bad">0.0%<\/td>/);
  assert.match(html, /eBPF tracer off: disabled in the configuration/);
  assert.match(html, /durable set durable/);
});

test('the page escapes what users and servers wrote: names, labels, codes, messages', () => {
  const html = renderStatusPage(build());
  assert.doesNotMatch(html, /<script>/);
  assert.doesNotMatch(html, /alert\("x"\)/);
  assert.match(html, /<h2>&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62;&#38;<\/h2>/);
  assert.match(html, /aria-label="last cycle of &#60;script&#62;/);
  assert.match(html, /labels team=&#60;script&#62;/);
});

test('segments lie end to end from the operation start: prepare, then each request at its offset', () => {
  const s = build();
  const put = s.targets[0]!.probes[0]!.lastCycle!.operations[0]!;
  const segs = segmentsOf(put);
  let at = 0;
  for (const seg of segs) {
    assert.ok(Math.abs(seg.startSeconds - at) < 1e-12, JSON.stringify(segs));
    at += seg.seconds;
  }
  assert.ok(Math.abs(at - (put.prepareSeconds! + put.durationSeconds!)) < 1e-9, 'the kernel phases and overhead add up to the request');
});

test('kernel phases are drawn where the kernel saw them; the client overhead fills the rest of the request', () => {
  const wire = { phases: { request: 0.001, server: 0.004, transfer: 0.001 }, newConnection: false, tls: false, retransmits: 0, overheadSeconds: 0.003 };
  const req = { method: 'GET', offsetSeconds: 0, durationSeconds: 0.009, reused: true, clientPhases: { processing: 0.006, transfer: 0.003 } };
  const op = { operation: 'GetObject' as const, size: '4KiB', outcome: 'success' as const, startOffsetSeconds: 0, prepareSeconds: 0.001, durationSeconds: 0.009, bytes: 4096 };
  // the first byte left 2 ms after the client issued the request; the body was read 1 ms after it arrived
  const placed = segmentsOf({ ...op, requests: [{ ...req, wire: { ...wire, phaseStarts: { request: 0.002, server: 0.003, transfer: 0.007 } } }] });
  assert.deepEqual(placed.map((x) => [x.phase, Number(x.startSeconds.toFixed(6)), Number(x.seconds.toFixed(6))]), [
    ['prepare', 0, 0.001], ['overhead', 0.001, 0.002], ['request', 0.003, 0.001], ['server', 0.004, 0.004], ['transfer', 0.008, 0.001], ['overhead', 0.009, 0.001],
  ]);
  // without the kernel's timestamps: its phases end to end, the overhead after them as one length
  const chained = segmentsOf({ ...op, requests: [{ ...req, wire }] });
  assert.deepEqual(chained.map((x) => x.phase), ['prepare', 'request', 'server', 'transfer', 'overhead']);
  assert.equal(chained.at(-1)!.seconds, 0.003);
});

test('a failure\'s bar is its whole call: its prepare and requests lie inside it', () => {
  const s = build();
  const failed = s.targets[0]!.probes[0]!.lastCycle!.operations[2]!;
  assert.equal(failed.outcome, 'failure');
  const segs = segmentsOf(failed);
  assert.deepEqual(segs.map((x) => [x.phase, x.startSeconds]), [['prepare', 0], ['processing', 0.0003]]);
  const end = segs.at(-1)!.startSeconds + segs.at(-1)!.seconds;
  assert.ok(end <= failed.durationSeconds!, `${end} within ${failed.durationSeconds}`);
  const html = renderStatusPage(s);
  const row = html.slice(html.indexOf('data-operation="CreateMultipartUpload"'));
  assert.match(row.slice(0, row.indexOf('</g>')), /failure \(auth, HTTP 403, .*\) in 1\.50 ms, starting at 10\.0 ms: prepare 0\.30 ms, processing 1\.00 ms<\/title>/);
});

test('history: nearest-rank quantiles, a bounded ring, only the last hour', () => {
  assert.equal(quantile([], 0.5), null);
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2);
  assert.equal(quantile(Array.from({ length: 100 }, (_, i) => i + 1), 0.99), 99);
  const board = new StatusBoard();
  const cycle = (at: number, seconds: number): CycleResult => ({
    target: 't', cycleId: '', startedAt: at, durationSeconds: seconds, success: true, leftovers: 0, aborted: false,
    operations: [op({ target: 't', operation: 'ListBuckets', outcome: 'success', durationSeconds: seconds, startedAt: at })],
  });
  const now = T0 + 10 * 3600_000;
  for (let i = 0; i < 1000; i++) board.onCycle(cycle(now - 3000_000 + i * 1000, (i + 1) / 1000));
  board.onCycle(cycle(now - 2 * 3600_000, 9)); // older than the hour: kept, not counted
  const h = board.build([{ name: 't', endpoint: '', bucketMode: 'ephemeral', labels: {}, running: false, probes: [{}] }], { up: false }, 'x', now).targets[0]!.probes[0]!.history[0]!;
  assert.equal(h.success, 719, 'the ring keeps its capacity, the newest, and counts the last hour');
  assert.equal(h.since, new Date(now - 3000_000 + 281 * 1000).toISOString());
  assert.equal(h.p99Seconds, 0.993);
  assert.equal(h.p50Seconds, 0.641);
});

test('GET /api/v1/status is the page\'s object, with its JSON Schema beside it', async () => {
  const { board, target } = fixture();
  const app = createApp({ registries: () => [], ready: () => true, status: () => board.build([target], { up: true, hooks: 'tp_btf', uprobes: 4 }, '1.2.3') });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const r = await fetch(`${base}/api/v1/status`);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    const s = (await r.json()) as StatusV1;
    const served = statusValidator((await (await fetch(`${base}/api/v1/status/schema`)).json()) as Record<string, unknown>);
    assert.deepEqual(served(s), []);
    assert.equal(s.apiVersion, 'v1');
    assert.equal(s.tracer.hooks, 'tp_btf');
    const html = await (await fetch(`${base}/`)).text();
    assert.match(html, /<a href="\/api\/v1\/status">status API<\/a>/);
    assert.equal(html.match(/<g class="op /g)?.length, s.targets[0]!.probes[0]!.lastCycle!.operations.length);
  } finally {
    server.close();
  }
});

test('replications: in flight, the last of each kind, the last hour; valid, and escaped on the page', () => {
  const board = new StatusBoard();
  const pair = { replication: 'eu-to-us', source: 'eu', destination: HOSTILE };
  const outcome = (kind: 'object' | 'delete', sinceMs: number, o: { lagSeconds?: number; reason?: 'timeout'; detail?: string }) =>
    board.onReplication({ ...pair, kind, key: `k-${sinceMs}`, since: sinceMs, polls: 3, operations: [], ...o });
  outcome('object', T0 - 2 * 3600_000, { lagSeconds: 100 }); // over an hour ago: not in the last hour
  outcome('object', T0 - 60_000, { lagSeconds: 2 });
  outcome('object', T0 - 30_000, { lagSeconds: 4 });
  outcome('object', T0 - 10_000, { reason: 'timeout', detail: HOSTILE });
  outcome('delete', T0 - 20_000, { lagSeconds: 1 });
  board.onReplicationInFlight({ ...pair, inFlight: { object: 2, delete: 1 } });
  const sources = [{ name: 'eu-to-us', source: 'eu', destination: HOSTILE, bucket: 'replicated', timeoutMs: 900_000 }, { name: 'quiet', source: 'a', destination: 'b', bucket: 'r', timeoutMs: 60_000 }];
  const s = board.build([], { up: false }, '1.2.3', T0, sources);
  assert.deepEqual(validate(JSON.parse(JSON.stringify(s))), []);
  const [r, quiet] = s.replications!;
  assert.deepEqual(r!.inFlight, { object: 2, delete: 1 });
  assert.equal(r!.timeoutSeconds, 900);
  assert.deepEqual(r!.last.map((o) => [o.kind, o.lagSeconds, o.reason]), [['object', undefined, 'timeout'], ['delete', 1, undefined]]);
  const hour = Object.fromEntries(r!.history.map((h) => [h.kind, h]));
  assert.deepEqual([hour.object!.replicated, hour.object!.failed, hour.object!.p50LagSeconds, hour.object!.p99LagSeconds], [2, 1, 2, 4]);
  assert.equal(hour.object!.since, new Date(T0 - 60_000).toISOString());
  assert.deepEqual(quiet, { name: 'quiet', source: 'a', destination: 'b', bucket: 'r', timeoutSeconds: 60, inFlight: { object: 0, delete: 0 }, last: [], history: [
    { kind: 'object', replicated: 0, failed: 0, p50LagSeconds: null, p99LagSeconds: null, since: null },
    { kind: 'delete', replicated: 0, failed: 0, p50LagSeconds: null, p99LagSeconds: null, since: null },
  ] });
  assert.equal(board.build([], { up: false }, '1.2.3', T0).replications, undefined, 'no replication configured: no field');
  const html = renderStatusPage(s);
  assert.match(html, /<h2>replication<\/h2>/);
  assert.match(html, /<td>eu-to-us<\/td><td>eu &rarr; &#60;script&#62;/);
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /<td>2 \/ 1<\/td><td><span class="bad">timeout<\/span>: &#60;script&#62;/);
  assert.match(html, /<td>2\/3, lag p50 2000 ms p99 4000 ms<\/td><td>1\/1, lag p50 1000 ms p99 1000 ms<\/td>/);
  assert.match(html, /<td>quiet<\/td>.*<td>0\/0<\/td><td>0\/0<\/td><\/tr>/);
  board.retain([], ['quiet']);
  assert.deepEqual(board.build([], { up: false }, '1.2.3', T0, sources).replications![0]!.last, [], 'a replication gone from the config is forgotten');
});
