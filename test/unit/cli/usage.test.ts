// Usage errors (a mistyped command, an unknown option, a bad option value, an extra argument) exit 2
// with commander's one-line message, before anything starts: no log line, no tracer, no AWS SDK, no
// embedded RGW (which `run` without --config would start).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { CLI } from '../../support/exporter.js';
import { runProc } from '../../support/proc.js';
import { REPO_ROOT } from '../../support/rgw.js';

const dir = mkdtempSync(join(tmpdir(), 's3prober-usage-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, 'config.yaml');
// valid, and its endpoint refuses at once
writeFileSync(config, 'targets:\n  - name: a\n    endpoint: http://127.0.0.1:1\n    region: us-east-1\n    credentials: { accessKeyId: AK, secretAccessKey: SK }\n');

/** The CLI with these arguments; `heavy`: the AWS SDK and native modules it had loaded when it exited. */
async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string[]; heavy: string[] }> {
  const report = join(dir, 'loaded.json');
  rmSync(report, { force: true });
  const env = { ...process.env, REPORT_LOADED_TO: report, S3PROBER_CONFIG: undefined };
  const r = await runProc(process.execPath, ['--import', join(REPO_ROOT, 'dist/test/fixtures/report-loaded.js'), CLI, ...args], { env, timeoutMs: 30_000 });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr.split('\n').filter(Boolean), heavy: JSON.parse(readFileSync(report, 'utf8')) as string[] };
}

/** Exit 2, nothing on stdout, commander's message (and suggestion) then its hint on stderr, nothing
 *  heavy loaded. */
function usageError(r: Awaited<ReturnType<typeof cli>>, ...message: (string | RegExp)[]): void {
  assert.equal(r.code, EXIT.usage, r.stderr.join('\n'));
  assert.equal(r.stdout, '');
  for (const [i, m] of message.entries()) {
    if (typeof m === 'string') assert.equal(r.stderr[i], m);
    else assert.match(r.stderr[i]!, m);
  }
  assert.equal(r.stderr.length, message.length + 1, `the message and the hint, nothing else:\n${r.stderr.join('\n')}`);
  assert.deepEqual(r.heavy, []);
}

test('the loaded-modules report sees the AWS SDK when a command loads it (so an empty one means something)', async () => {
  const r = await cli(['cleanup', '--config', config]);
  assert.equal(r.code, EXIT.failure, 'the endpoint refuses: something may be left');
  assert.ok(r.heavy.some((f) => f.includes('/@aws-sdk/client-s3/')), JSON.stringify(r.heavy));
});

test('a mistyped command is an unknown command, with the nearest one suggested, not an argument of run', async () => {
  usageError(await cli(['chek-config', config]), "error: unknown command 'chek-config' (did you mean check-config?)");
  usageError(await cli(['frobnicate']), "error: unknown command 'frobnicate'");
});

test('a bad --listen is refused before anything starts (without --config, run would start the embedded RGW)', async () => {
  const r = await cli(['--listen', '20030']);
  usageError(r, /^error: option '-l, --listen <host:port>' argument '20030' is invalid\. Expected HOST:PORT/);
  usageError(await cli(['run', '--config', config, '--listen', '127.0.0.1:65536']), /argument '127\.0\.0\.1:65536' is invalid/);
});

test('unknown options, bad option values, missing and extra arguments exit 2', async () => {
  usageError(await cli(['--bogus']), "error: unknown option '--bogus'");
  usageError(await cli(['run', '--confg', config]), "error: unknown option '--confg'", '(Did you mean --config?)');
  usageError(await cli(['--log-level', 'loud']), /^error: option '--log-level <level>' argument 'loud' is invalid/);
  usageError(await cli(['cleanup', '--config', config, '--older-than', '5x']), /^error: option '--older-than <duration>' argument '5x' is invalid/);
  usageError(await cli(['cleanup']), "error: required option '-c, --config <file>' not specified");
  usageError(await cli(['check-config']), "error: missing required argument 'file'");
  usageError(await cli(['check-config', config, 'extra']), /^error: too many arguments for 'check-config'/);
  usageError(await cli(['once', 'extra']), /^error: too many arguments for 'once'/);
});

test('--help and --version exit 0 and load nothing heavy', async () => {
  for (const args of [['--help'], ['help', 'run'], ['--version']]) {
    const r = await cli(args);
    assert.equal(r.code, EXIT.ok, args.join(' '));
    assert.ok(r.stdout.length > 0);
    assert.deepEqual(r.heavy, []);
  }
});
