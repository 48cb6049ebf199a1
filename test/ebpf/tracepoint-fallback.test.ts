// The last-resort hook set (classic tracepoints) needs tracefs, which is often not mounted: the
// child gets its own mount namespace with tracefs mounted, so the host is left as it was.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChildTracer } from '../support/ebpf/run-child.js';

test('classic tracepoints measure a request like tp_btf does', () => {
  const script = 'mount -t tracefs nodev /sys/kernel/tracing && exec "$0" "$@"';
  const r = runChildTracer(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script], 'exporter', {
    ...process.env, S3PROBER_TEST_HOOKS: 'tracepoint',
  }) as {
    up: boolean; status: { hooks?: string }; wire?: { phases: Record<string, number>; wireOperation?: { candidates: string[] } };
  };
  assert.equal(r.up, true, JSON.stringify(r));
  assert.equal(r.status.hooks, 'tracepoint');
  assert.ok(r.wire, 'joined');
  assert.ok(r.wire.phases.server! >= 0.02, `server ${r.wire.phases.server}`);
  assert.ok(r.wire.phases.connect! > 0);
  assert.equal(r.wire.wireOperation?.candidates[0], 'GetObject');
});
