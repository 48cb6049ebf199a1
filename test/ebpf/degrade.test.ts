// Degrades, never breaks: without privileges the tracer is down, s3prober_ebpf_up is 0, one log
// line says why, and requests still work; close() lets go of the kernel (root). Without the addon,
// or switched off: test/unit/ebpf/degrade.test.ts.
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { WIRE_METRICS } from '../../src/metrics/names.js';
import { runChildTracer } from '../support/ebpf/run-child.js';
import { metricValue, startTestTracer } from '../support/ebpf/tracer.js';

// root, but every capability dropped for the child and whatever it executes (a child running as
// nobody would also need read access to this checkout, which CI clones may not grant)
const NO_CAPS = ['setpriv', '--inh-caps=-all', '--bounding-set=-all'];

test('a child without capabilities: the exporter keeps running with s3prober_ebpf_up 0 and one clear line', () => {
  const r = runChildTracer(NO_CAPS, 'exporter') as { up: boolean; ebpfUp: number; statusCode: number; logs: Array<{ level: number; msg: string }> };
  assert.equal(r.up, false);
  assert.equal(r.ebpfUp, 0);
  assert.equal(r.statusCode, 200, 'the traced request itself worked');
  const lines = r.logs.filter((l) => /eBPF/.test(l.msg));
  assert.equal(lines.length, 1, JSON.stringify(r.logs));
  assert.match(lines[0]!.msg, /CAP_BPF and CAP_PERFMON/);
  assert.equal(lines[0]!.level, 40, 'a warning');
});

test('past the pre-check, the kernel refuses an unprivileged open with EPERM and nothing crashes', () => {
  const r = runChildTracer(NO_CAPS, 'raw-open');
  assert.deepEqual([r.loaded, r.opened, r.code], [true, false, 'EPERM'], JSON.stringify(r));
});

/** BPF programs, maps and links this process holds (anon inodes named bpf*), by kind. */
function bpfFds(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return /^anon_inode:(\[)?bpf/.test(target) ? [target] : [];
    } catch {
      return [];
    }
  });
}

const byKind = (fds: string[]) => JSON.stringify(Object.fromEntries([...new Set(fds)].map((k) => [k, fds.filter((f) => f === k).length])));

test('close() detaches everything: no BPF fds left, s3prober_ebpf_up 0, the tracer is down', async () => {
  const before = bpfFds().length;
  const t = await startTestTracer();
  assert.equal(t.tracer.up, true);
  assert.ok(bpfFds().length > before + 10, 'programs, maps and links are held while up');
  await t.tracer.close();
  // libuv releases the poll handle, and with it the BPF objects, on a later turn of the loop
  for (let turn = 0; turn < 100 && bpfFds().length !== before; turn++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(bpfFds().length, before, `still held after close: ${byKind(bpfFds())}`);
  assert.equal(t.tracer.up, false);
  assert.equal(await metricValue(t.registry, WIRE_METRICS.ebpfUp), 0);
  assert.match(await t.registry.metrics(), /s3prober_ebpf_events_total \d+/, 'scraping after close still works');
});
