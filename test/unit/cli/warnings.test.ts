// Every command turns process warnings (the AWS SDK's notice about the Node version, or any other)
// into one JSON log line on stderr: never node's raw multi-line text, never on stdout (the output).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { CLI } from '../../support/exporter.js';
import { runProc } from '../../support/proc.js';
import { REPO_ROOT } from '../../support/rgw.js';

const dir = mkdtempSync(join(tmpdir(), 's3prober-warnings-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, 'config.yaml');
// valid, and its endpoint refuses at once
writeFileSync(config, 'targets:\n  - name: a\n    endpoint: http://127.0.0.1:1\n    region: us-east-1\n    credentials: { accessKeyId: AK, secretAccessKey: SK }\n');
// The SDK warns about Node versions before this one when a client is made.
const SDK_WARNS = Number(process.versions.node.split('.')[0]) < 22;
const FIXTURE_WARNING = 'a warning\nover three\nlines';

interface LogLine {
  level: string;
  warning?: string;
  msg: string;
}

/** stderr, every line of which must be a JSON log line. */
function logLines(stderr: string): LogLine[] {
  return stderr.split('\n').filter(Boolean).map((l) => {
    assert.ok(l.startsWith('{'), `not a log line on stderr: ${l}\n--- all of stderr:\n${stderr}`);
    return JSON.parse(l) as LogLine;
  });
}

function cli(args: string[], preload: string[] = []) {
  const env = { ...process.env, FIXTURE_WARNING, S3PROBER_CONFIG: undefined, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined };
  return runProc(process.execPath, [...preload, CLI, ...args], { env, timeoutMs: 60_000 });
}

test('check-config: the SDK\'s warning and any other are one log line each on stderr; stdout is the config', async () => {
  const r = await cli(['check-config', config], ['--import', join(REPO_ROOT, 'dist/test/fixtures/warn-when-done.js')]);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.equal((parse(r.stdout) as { targets: { name: string }[] }).targets[0]!.name, 'a');
  const logs = logLines(r.stderr);
  assert.ok(logs.some((l) => l.level === 'warn' && l.warning === 'FixtureWarning' && l.msg === 'a warning over three lines'), r.stderr);
  if (SDK_WARNS) assert.ok(logs.some((l) => l.level === 'warn' && l.msg.startsWith('NodeVersionSupportWarning: ')), r.stderr);
});

test('cleanup and once: the SDK\'s warning (it loads for real) is a log line, the report stays on stdout', async () => {
  for (const command of ['cleanup', 'once']) {
    const r = await cli([command, '--config', config]);
    assert.equal(r.code, EXIT.failure, `${command}: the endpoint refuses\n${r.stderr}`);
    assert.match(r.stdout, command === 'cleanup' ? /^a: removed 0 bucket\(s\)/ : /^TARGET\s+OPERATION/);
    const logs = logLines(r.stderr);
    if (SDK_WARNS) assert.equal(logs.filter((l) => l.level === 'warn' && l.msg.startsWith('NodeVersionSupportWarning: ')).length, 1, `${command}:\n${r.stderr}`);
  }
});
