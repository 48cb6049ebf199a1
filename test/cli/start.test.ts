// How the exporter starts (npm start, the container's ENTRYPOINT, the installed command): through
// the CLI's own first line, which gives node the V8 flags and environment that keep its memory
// down (BENCHMARKS.md, "RSS with 10 targets"). The flags must reach the process and the exporter
// must work under them, tracer included.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapSpaceStatistics } from 'node:v8';
import { stringify } from 'yaml';
import { runProc, spawnProc } from '../support/proc.js';
import { freePort, REPO_ROOT } from '../support/rgw.js';
import { targetYaml } from '../support/targets.js';
import { sample } from '../support/exporter.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');
const FIRST_LINE = '#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 --heap-growing-percent=20';
const V8_FLAGS = ['--max-semi-space-size=2', '--heap-growing-percent=20'];
const tmp = mkdtempSync(join(tmpdir(), 's3prober-start-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('the CLI is executable and its first line (source and build) starts node with the memory flags', () => {
  accessSync(CLI, constants.X_OK);
  assert.equal(readFileSync(CLI, 'utf8').split('\n', 1)[0], FIRST_LINE);
  assert.equal(readFileSync(join(REPO_ROOT, 'src/cli/main.ts'), 'utf8').split('\n', 1)[0], FIRST_LINE);
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
  assert.equal(pkg.bin.s3prober, 'dist/src/cli/main.js');
  assert.match(pkg.scripts.start!, /^dist\/src\/cli\/main\.js run\b/, 'npm start runs the file, not `node file`');
  assert.match(readFileSync(join(REPO_ROOT, 'docker/Dockerfile'), 'utf8'), /^ENTRYPOINT \["\/app\/dist\/src\/cli\/main\.js"\]$/m);
});

test('the V8 flags of the first line cap the young generation (what they buy)', async () => {
  const probe = 'console.log(require("v8").getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size)';
  const small = await runProc(process.execPath, [...V8_FLAGS, '-e',
    `const keep = []; for (let i = 0; i < 2e6; i++) { keep.push({ i }); if (keep.length > 1e5) keep.length = 0; } ${probe}`]);
  const dflt = await runProc(process.execPath, ['-e',
    `const keep = []; for (let i = 0; i < 2e6; i++) { keep.push({ i }); if (keep.length > 1e5) keep.length = 0; } ${probe}`]);
  assert.equal(small.code, 0, small.stderr);
  assert.equal(dflt.code, 0, dflt.stderr);
  assert.ok(Number(small.stdout) <= 4 * 1048576, `new space ${small.stdout} with the flags`);
  assert.ok(Number(dflt.stdout) > Number(small.stdout), `new space ${dflt.stdout} without the flag vs ${small.stdout} with it`);
  assert.ok(getHeapSpaceStatistics().some((s) => s.space_name === 'new_space'));
});

test('started through its first line: flags and environment in effect, cycles succeed against RGW, tracer up, SIGTERM exits 0', async () => {
  const configFile = join(tmp, 'run.yaml');
  writeFileSync(configFile, stringify({
    schedule: '*/2 * * * * *',
    timeout: '5s',
    targets: [targetYaml({ name: 'started', objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'started' } } })],
  }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env };
  delete env.MALLOC_ARENA_MAX;
  const proc = spawnProc(CLI, ['run', '--config', configFile, '--listen', `127.0.0.1:${port}`], { env });
  try {
    await proc.waitForUrl(`${url}/-/healthy`, 30_000);
    // env -S execs node in place: this pid is node's
    const argv = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').split('\0');
    assert.equal(argv[0]!.split('/').pop(), 'node', argv.join(' '));
    assert.deepEqual(argv.slice(1, 1 + V8_FLAGS.length), V8_FLAGS);
    assert.equal(argv[1 + V8_FLAGS.length], CLI);
    assert.ok(readFileSync(`/proc/${proc.pid}/environ`, 'utf8').split('\0').includes('MALLOC_ARENA_MAX=2'));
    let text = '';
    const end = Date.now() + 60_000;
    while (sample(text, 's3prober_cycle_success', { target: 'started' }) !== 1) {
      assert.ok(Date.now() < end, `no successful cycle within 60 s:\n${text.slice(0, 2000)}\n${proc.output().slice(-2000)}`);
      await sleep(250);
      text = await (await fetch(`${url}/metrics`)).text();
    }
    assert.equal(sample(text, 's3prober_ebpf_up'), 1, 'CI runs as root with the addon built by scripts/setup.sh');
    assert.ok((sample(text, 's3prober_operations_total', { target: 'started', operation: 'PutObject', outcome: 'success' }) ?? 0) >= 1);
  } finally {
    const r = await proc.kill('SIGTERM', 20_000);
    assert.equal(r.code, 0, proc.output().slice(-2000));
  }
});
