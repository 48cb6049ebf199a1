// A cycle that a bug of the prober's own ends, in the running exporter: a counted failure with
// reason internal, visible in /metrics and on the status page, and readiness is not blocked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { ProberRuntime } from '../../src/cli/runtime.js';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { sample } from '../support/exporter.js';
import { targetYaml } from '../support/targets.js';
import { stringify } from 'yaml';

test('a crashed cycle is a failed cycle with reason internal, counted everywhere, and the exporter gets ready', async () => {
  const config = parseConfig(stringify({
    schedule: '*/2 * * * * *',
    ebpf: { enabled: false },
    targets: [targetYaml({ name: 'buggy', objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'ie-buggy' } } })],
  }));
  // what the config refuses, as a bug would let through: making a 3 GiB payload throws
  config.targets[0]!.objectSizes.push(3 * 1024 ** 3);
  const lines: { msg: string; bug?: { type: string; stack: string } }[] = [];
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
  const rt = await ProberRuntime.start({ config, listen: '127.0.0.1:0', logger: createLogger('info', sink) });
  const url = `http://127.0.0.1:${rt.address.port}`;
  try {
    const end = Date.now() + 20_000;
    while ((await fetch(`${url}/-/ready`)).status !== 200) {
      assert.ok(Date.now() < end, 'never ready');
      await sleep(100);
    }
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.ok(sample(text, 's3prober_cycles_total', { target: 'buggy', outcome: 'failure' })! >= 1);
    assert.equal(sample(text, 's3prober_cycle_success', { target: 'buggy' }), 0);
    assert.ok(sample(text, 's3prober_internal_errors_total', { kind: 'cycle' })! >= 1);
    assert.ok(sample(text, 's3prober_operation_failures_total', { target: 'buggy', operation: 'CreateMultipartUpload', reason: 'internal' })! >= 1);
    assert.equal(sample(text, 's3prober_leftover_objects', { target: 'buggy' }), 0);
    const page = await (await fetch(url)).text();
    assert.match(page, /internal error<\/b> \(a bug in s3prober, logged\)/);
    // the log line a bug report needs: what, where, with its stack
    const bug = lines.find((l) => l.bug)?.bug;
    assert.equal(bug?.type, 'RangeError');
    assert.match(bug?.stack ?? '', /\n\s+at /);
  } finally {
    await rt.stop();
  }
});
