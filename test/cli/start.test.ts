// How the exporter starts (npm start, the container's ENTRYPOINT, the installed command): through
// the CLI's own first line, which gives node the environment that keeps its memory down
// (BENCHMARKS.md, "RSS with 10 targets"). It must reach the process and the exporter must work
// under it, tracer included. That the files carry the line: test/unit/cli/start.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { targetYaml } from '../support/targets.js';
import { CLI, CLI_NODE_FLAGS, sample, startExporter } from '../support/exporter.js';

test('started through its first line: flags and environment in effect, cycles succeed against RGW, tracer up, SIGTERM exits 0', async () => {
  const exp = await startExporter({
    schedule: '*/2 * * * * *',
    timeout: '5s',
    targets: [targetYaml({ name: 'started', objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'started' } } })],
  }, { MALLOC_ARENA_MAX: undefined }, { firstLine: true });
  try {
    // env -S execs node in place: this pid is node's
    const argv = readFileSync(`/proc/${exp.proc.pid}/cmdline`, 'utf8').split('\0');
    assert.equal(argv[0]!.split('/').pop(), 'node', argv.join(' '));
    assert.deepEqual(argv.slice(1, 1 + CLI_NODE_FLAGS.length), CLI_NODE_FLAGS);
    assert.equal(argv[1 + CLI_NODE_FLAGS.length], CLI);
    assert.ok(readFileSync(`/proc/${exp.proc.pid}/environ`, 'utf8').split('\0').includes('MALLOC_ARENA_MAX=2'));
    await exp.waitReady();
    const { text } = await exp.metrics();
    assert.equal(sample(text, 's3prober_cycle_success', { target: 'started' }), 1, `${text.slice(0, 2000)}\n${exp.proc.output().slice(-2000)}`);
    assert.equal(sample(text, 's3prober_ebpf_up'), 1, 'CI runs as root with the addon built by scripts/setup.sh');
    assert.ok((sample(text, 's3prober_operations_total', { target: 'started', operation: 'PutObject', outcome: 'success' }) ?? 0) >= 1);
  } finally {
    const r = await exp.stop();
    assert.equal(r.code, 0, exp.proc.output().slice(-2000));
  }
});
