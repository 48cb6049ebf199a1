// `s3prober once`: the human table and the exit code, against RGW, a dead endpoint, and the
// embedded default (no config: the prober starts and stops its own local RGW).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI } from '../support/exporter.js';
import { runProc } from '../support/proc.js';
import { freePort, testRgw } from '../support/rgw.js';
import { targetYaml } from '../support/targets.js';

async function once(config: Record<string, unknown> | null, env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 's3prober-once-'));
  try {
    const args = [CLI, 'once'];
    if (config) {
      writeFileSync(join(dir, 'c.yaml'), stringify(config));
      args.push('--config', join(dir, 'c.yaml'));
    }
    return await runProc(process.execPath, args, { env: { ...process.env, ...env }, timeoutMs: 240_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rows(stdout: string): string[][] {
  return stdout.split('\n').filter((l) => /^\S+\s+[A-Z][A-Za-z0-9]+\s/.test(l) && !l.startsWith('TARGET')).map((l) => l.trim().split(/\s{2,}/));
}

test('once against RGW: every operation green, exit 0', async () => {
  const r = await once({ targets: [targetYaml({ name: 'rgw', extra: { bucket: { mode: 'ephemeral', prefix: 'once-ok' } } })] });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^TARGET\s+OPERATION\s+SIZE\s+LATENCY\s+BYTES\s+RESULT\s+REASON$/m);
  const table = rows(r.stdout);
  assert.ok(table.length >= 20);
  for (const row of table) assert.equal(row.at(-1), 'success', row.join(' | '));
  const ops = new Set(table.map((row) => row[1]));
  for (const op of ['CreateBucket', 'PutObject', 'HeadObject', 'GetObject', 'ListObjectsV2', 'ListBuckets', 'DeleteObject', 'DeleteObjects', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'DeleteBucket']) {
    assert.ok(ops.has(op), `missing ${op}`);
  }
  assert.match(r.stdout, /^rgw: success in \d+ms, leftovers 0$/m);
});

test('credentials from the AWS SDK default chain (here: the environment)', async () => {
  const rgw = testRgw();
  const cfg = targetYaml({ name: 'chain', objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: 'once-chain' } } });
  cfg.credentials = { source: 'default' };
  const r = await once({ targets: [cfg] }, { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const bad = await once({ targets: [cfg] }, { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /chain\s+CreateBucket\s+\S+\s+\d+\s+failure\s+auth \(SignatureDoesNotMatch 403\)/);
});

test('once against a dead endpoint: failures with reasons, exit 1', async () => {
  const port = await freePort();
  const r = await once({ targets: [targetYaml({ name: 'dead', endpoint: `http://127.0.0.1:${port}` })] });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /dead\s+CreateBucket\s+\S+\s+\d+\s+failure\s+connection_refused \(ECONNREFUSED\)/);
  assert.match(r.stdout, /dead\s+GetObject\s+4KiB\s+-\s+0\s+skipped\s+after CreateBucket/);
  assert.match(r.stdout, /^dead: FAILURE/m);
});

test('once with no config: the embedded local RGW is started, probed green and stopped', async () => {
  const state = mkdtempSync(join(tmpdir(), 's3prober-state-'));
  try {
    const r = await once(null, {
      S3PROBER_STATE_DIR: state,
      S3PROBER_LOCAL_RGW_PORT: String(await freePort()),
      S3PROBER_LOCAL_MON_PORT: String(await freePort()),
    });
    assert.equal(r.code, 0, r.stdout + r.stderr.slice(-2000));
    assert.match(r.stdout, /^local-rgw: success/m);
    // Stopped again: no daemon of that cluster is left running.
    const pidsFile = join(state, 'rgw', 'pids');
    assert.ok(!existsSync(pidsFile) || readFileSync(pidsFile, 'utf8').trim() === '', 'pids left behind');
    const ps = await runProc('pgrep', ['-f', join(state, 'rgw')]);
    assert.equal(ps.stdout.trim(), '', 'ceph daemons of the embedded RGW still running');
    // The generated local keys stay private to their owner.
    assert.ok(existsSync(join(state, 'local-rgw-keys.json')));
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});
