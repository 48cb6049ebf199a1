// The systemd template unit for shards on one host: systemd-analyze accepts it, and its ExecStart,
// expanded as systemd expands it for an instance, starts that instance as its shard on its port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI, sample } from '../../support/exporter.js';
import { spawnProc } from '../../support/proc.js';
import { freePort } from '../../support/rgw.js';
import { repoPath, run } from '../../support/deploy/lib.js';

const unitFile = repoPath('deploy', 'systemd', 's3prober@.service');
const unit = readFileSync(unitFile, 'utf8');
const BINARY = '/usr/local/bin/s3prober';

function verify(dir: string, text: string, name: string): string {
  writeFileSync(join(dir, `${name}@.service`), text);
  symlinkSync(`${name}@.service`, join(dir, `${name}@1.service`));
  return run('systemd-analyze', ['verify', `./${name}@1.service`], { cwd: dir }).stderr.trim();
}

test('systemd-analyze verify accepts the unit (and rejects a misspelt key)', () => {
  const dir = mkdtempSync(join(tmpdir(), 's3prober-unit-'));
  try {
    assert.equal(verify(dir, unit, 's3prober'), '');
    assert.match(verify(dir, unit.replace('\nRestart=', '\nRestrat='), 'bad'), /Unknown key 'Restrat'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ExecStart of instance 1 runs shard 1 of S3PROBER_SHARDS on the base port + 1', async () => {
  const line = unit.split('\n').find((l) => l.startsWith('ExecStart='));
  assert.ok(line?.includes(BINARY), line);
  // What systemd hands to the shell for s3prober@1: %i is the instance, $$ a literal $.
  const command = line!.slice('ExecStart='.length).replaceAll('%i', '1').replaceAll('$$', '$');
  const [sh, flag, script] = command.match(/^(\S+) (-c) '(.*)'$/)!.slice(1) as [string, string, string];
  const dir = mkdtempSync(join(tmpdir(), 's3prober-unit-'));
  const port = await freePort();
  writeFileSync(join(dir, 'config.yaml'), stringify({
    ebpf: { enabled: false },
    targets: ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: '${S3_ACCESS_KEY}', secretAccessKey: '${S3_SECRET_KEY}' } })),
  }));
  const env = {
    PATH: process.env.PATH, S3PROBER_SHARDS: '3', S3PROBER_BASE_PORT: String(port - 1), S3PROBER_LISTEN_HOST: '127.0.0.1',
    S3PROBER_CONFIG: join(dir, 'config.yaml'), S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'b'.repeat(20),
  };
  const proc = spawnProc(sh, [flag, script.replace(BINARY, `${process.execPath} ${CLI}`)], { env });
  try {
    await proc.waitForUrl(`http://127.0.0.1:${port}/-/healthy`, 30_000);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.equal(sample(text, 's3prober_shard_info', { shard: '1', shards: '3' }), 1, text.slice(0, 2000));
  } finally {
    await proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
