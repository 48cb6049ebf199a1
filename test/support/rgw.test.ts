// scripts/rgw-start.sh and rgw-stop.sh, through startExtraRgw and directly: an extra cluster
// answers real S3, a second start reuses it, a broken one is restarted, stop leaves nothing.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { runProc } from './proc.js';
import { REPO_ROOT, freePort, s3Client, startExtraRgw, testRgw, type ExtraRgw } from './rgw.js';

const START = path.join(REPO_ROOT, 'scripts/rgw-start.sh');
const STOP = path.join(REPO_ROOT, 'scripts/rgw-stop.sh');
const cleanups: (() => Promise<void>)[] = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

/** Running and not a zombie (killed daemons may linger as zombies until reaped). */
function running(pid: number): boolean {
  try { return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] !== 'Z'; } catch { return false; }
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(false); });
    s.on('error', () => resolve(true));
  });
}

function startScript(env: Record<string, string>) {
  return runProc('bash', [START], { env: { ...process.env, ...env }, timeoutMs: 180_000 });
}

test('an extra cluster answers S3 with SigV4 checked, is reused by a second start, and stops cleanly', async () => {
  const rgw: ExtraRgw = await startExtraRgw({ accessKeyId: 'extra-ak', secretAccessKey: 'extra-sk' });
  cleanups.push(() => rgw.stop());
  assert.notEqual(rgw.endpoint, testRgw().endpoint);
  const pids = rgw.pids();
  assert.equal(pids.length, 3);
  for (const pid of pids) assert.ok(running(pid), `daemon ${pid} runs`);

  const s3 = s3Client(rgw);
  await s3.send(new CreateBucketCommand({ Bucket: 'extra-bucket' }));
  await s3.send(new PutObjectCommand({ Bucket: 'extra-bucket', Key: 'k', Body: 'payload' }));
  const got = await s3.send(new GetObjectCommand({ Bucket: 'extra-bucket', Key: 'k' }));
  assert.equal(await got.Body!.transformToString(), 'payload');
  // The shared test RGW is another cluster: it does not know this user.
  const other = s3Client({ ...rgw, endpoint: testRgw().endpoint });
  await assert.rejects(other.send(new ListBucketsCommand({})), { name: 'InvalidAccessKeyId' });
  const wrong = s3Client({ ...rgw, secretAccessKey: 'not-the-secret' });
  await assert.rejects(wrong.send(new ListBucketsCommand({})), { name: 'SignatureDoesNotMatch' });

  const again = await startScript({ BASE: rgw.base, RGW_PORT: String(rgw.rgwPort), MON_PORT: String(rgw.monPort),
    S3_ACCESS_KEY: rgw.accessKeyId, S3_SECRET_KEY: rgw.secretAccessKey });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`^RGW_READY endpoint=${rgw.endpoint} access_key=extra-ak base=${rgw.base} reused=1 seconds=\\d+\\n$`));
  assert.doesNotMatch(again.stdout + again.stderr, /extra-sk/, 'the secret is never printed');
  assert.deepEqual(rgw.pids(), pids);

  await s3.send(new DeleteObjectCommand({ Bucket: 'extra-bucket', Key: 'k' }));
  await s3.send(new DeleteBucketCommand({ Bucket: 'extra-bucket' }));
  for (const c of [s3, other, wrong]) c.destroy();
  await rgw.stop();
  for (const pid of pids) assert.ok(!running(pid), `daemon ${pid} stopped`);
  assert.ok(!existsSync(rgw.base), 'BASE removed');
  assert.ok(await refused(rgw.rgwPort), 'RGW port closed');
  assert.ok(await refused(rgw.monPort), 'mon port closed');
});

test('a cluster with a dead daemon is restarted, not reused', async () => {
  const rgw = await startExtraRgw();
  cleanups.push(() => rgw.stop());
  const [, , rgwPid] = rgw.pids();
  process.kill(rgwPid!, 'SIGKILL');
  const r = await startScript({ BASE: rgw.base, RGW_PORT: String(rgw.rgwPort), MON_PORT: String(rgw.monPort),
    S3_ACCESS_KEY: rgw.accessKeyId, S3_SECRET_KEY: rgw.secretAccessKey });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, / reused=0 /);
  assert.ok(!rgw.pids().includes(rgwPid!));
  const s3 = s3Client(rgw);
  assert.ok(Array.isArray((await s3.send(new ListBucketsCommand({}))).Buckets));
  s3.destroy();
});

test('a busy port fails fast with a clear message and leaves no process', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => blocker.close(() => resolve())));
  const base = mkdtempSync(path.join(os.tmpdir(), 's3prober-rgw-busy-'));
  cleanups.push(async () => { await runProc('bash', [STOP], { env: { ...process.env, BASE: base } }); rmSync(base, { recursive: true, force: true }); });
  const r = await startScript({ BASE: base, RGW_PORT: String((blocker.address() as net.AddressInfo).port), MON_PORT: String(await freePort()) });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /port \d+ on 127.0.0.1 is already in use/);
  assert.equal(r.stdout, '');
  assert.ok(!existsSync(path.join(base, 'pids')), 'no daemon recorded');
});

test('a non-empty BASE that rgw-start.sh did not create is never wiped', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 's3prober-rgw-foreign-'));
  cleanups.push(async () => rmSync(base, { recursive: true, force: true }));
  writeFileSync(path.join(base, 'precious.txt'), 'keep me');
  const r = await startScript({ BASE: base, RGW_PORT: String(await freePort()), MON_PORT: String(await freePort()) });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /not empty and was not created by rgw-start.sh/);
  assert.equal(readFileSync(path.join(base, 'precious.txt'), 'utf8'), 'keep me');
});
