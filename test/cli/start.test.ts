// How the exporter starts (npm start, the container's ENTRYPOINT, the installed command): through
// the CLI's own first line, which gives node the environment that keeps its memory down
// (BENCHMARKS.md, "RSS with 10 targets"). It must reach the process and the exporter must work
// under it, tracer included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/rgw.js';
import { targetYaml } from '../support/targets.js';
import { CLI, CLI_FIRST_LINE, CLI_NODE_FLAGS, sample, startExporter } from '../support/exporter.js';

test('the CLI is executable and its first line (source and build) starts node with its memory settings', () => {
  accessSync(CLI, constants.X_OK);
  assert.equal(readFileSync(CLI, 'utf8').split('\n', 1)[0], CLI_FIRST_LINE);
  assert.equal(readFileSync(join(REPO_ROOT, 'src/cli/main.ts'), 'utf8').split('\n', 1)[0], CLI_FIRST_LINE);
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
  assert.equal(pkg.bin.s3prober, 'dist/src/cli/main.js');
  assert.match(pkg.scripts.start!, /^dist\/src\/cli\/main\.js run\b/, 'npm start runs the file, not `node file`');
  assert.match(readFileSync(join(REPO_ROOT, 'docker/Dockerfile'), 'utf8'), /^ENTRYPOINT \["\/app\/dist\/src\/cli\/main\.js"\]$/m);
});

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
