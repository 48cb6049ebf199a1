// Leftovers of a killed prober are removed by the next start; `s3prober cleanup` removes what is
// under the prober's own prefixes (optionally only what is old enough) and never anything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { stringify } from 'yaml';
import { cycleId, ephemeralBucketName } from '../../src/probes/naming.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { CLI, startExporter } from '../support/exporter.js';
import { runProc } from '../support/proc.js';
import { s3Client, testRgw } from '../support/rgw.js';
import { bucketsWithPrefix, keysUnder } from '../support/store.js';
import { targetYaml } from '../support/targets.js';

test('kill -9 mid-cycle: the next start removes what the killed run left', async () => {
  const proxy = await startFaultProxy({ upstream: testRgw().endpoint });
  const s3 = s3Client(testRgw());
  // The first run stalls on GetObject after its bucket and objects exist, and is killed there.
  proxy.setFault({ kind: 'stall', match: { operation: 'GetObject' } });
  const config = { schedule: '0 0 1 1 *', timeout: '60s', targets: [targetYaml({ name: 'crash', endpoint: proxy.url, extra: { bucket: { mode: 'ephemeral', prefix: 'crash' } } })] };
  try {
    const first = await startExporter(config);
    while (proxy.stats.faulted === 0) await sleep(20);
    await first.proc.kill('SIGKILL');
    await first.stop(); // already dead: only removes its temp dir
    const left = await bucketsWithPrefix(s3, 'crash-');
    assert.equal(left.length, 1, 'the killed run left its bucket');
    assert.ok((await keysUnder(s3, left[0]!, '')).length > 0, 'and objects in it');

    proxy.setFault(null);
    const second = await startExporter(config);
    try {
      await second.waitReady();
      assert.deepEqual(await bucketsWithPrefix(s3, 'crash-'), [], 'the restart swept the old bucket and cleaned its own');
      assert.match(second.proc.stdout(), /removed what an earlier run left behind/);
    } finally {
      await second.stop();
    }
  } finally {
    await proxy.close();
    s3.destroy();
  }
});

test('cleanup: only the prober\'s own names, only old enough ones with --older-than', async () => {
  const s3 = s3Client(testRgw());
  const old = cycleId(new Date('2020-01-01T00:00:00Z'));
  const fresh = cycleId();
  const fixed = 'cln-fixed';
  const own = (id: string) => ephemeralBucketName('cln', 'eph', id);
  // Another target's bucket under the same prefix, and names that merely look alike, must stay.
  const foreign = ephemeralBucketName('cln', 'other', old);
  const buckets = [own(old), own(fresh), 'cln-userdata', `${own(old)}-x`, foreign];
  const dir = mkdtempSync(join(tmpdir(), 's3prober-cln-'));
  try {
    for (const b of [...buckets, fixed]) await s3.send(new CreateBucketCommand({ Bucket: b }));
    await s3.send(new PutObjectCommand({ Bucket: own(old), Key: 'a/b', Body: 'x' }));
    for (const k of [`s3prober/fx/${old}/obj`, `s3prober/fx/${fresh}/obj`, 's3prober/other-target/x', 'user/data']) {
      await s3.send(new PutObjectCommand({ Bucket: fixed, Key: k, Body: 'x' }));
    }
    const file = join(dir, 'c.yaml');
    writeFileSync(file, stringify({
      targets: [
        targetYaml({ name: 'eph', extra: { bucket: { mode: 'ephemeral', prefix: 'cln' } } }),
        targetYaml({ name: 'fx', bucket: { mode: 'fixed', name: fixed } }),
      ],
    }));
    const oldOnly = await runProc(process.execPath, [CLI, 'cleanup', '--config', file, '--older-than', '1h']);
    assert.equal(oldOnly.code, 0, oldOnly.stdout + oldOnly.stderr);
    assert.match(oldOnly.stdout, /^eph: removed 1 bucket\(s\), 1 key\(s\), 0 upload\(s\)$/m);
    assert.match(oldOnly.stdout, /^fx: removed 0 bucket\(s\), 1 key\(s\)/m);
    assert.deepEqual((await bucketsWithPrefix(s3, 'cln-')).sort(), [own(fresh), `${own(old)}-x`, foreign, fixed, 'cln-userdata'].sort());
    assert.deepEqual((await keysUnder(s3, fixed, '')).sort(), [`s3prober/fx/${fresh}/obj`, 's3prober/other-target/x', 'user/data']);

    const all = await runProc(process.execPath, [CLI, 'cleanup', '--config', file]);
    assert.equal(all.code, 0, all.stdout + all.stderr);
    assert.deepEqual((await bucketsWithPrefix(s3, 'cln-')).sort(), [`${own(old)}-x`, foreign, fixed, 'cln-userdata'].sort(), 'names that merely start with the prefix, and other targets\' buckets, stay');
    assert.deepEqual((await keysUnder(s3, fixed, '')).sort(), ['s3prober/other-target/x', 'user/data'], 'other targets\' and users\' keys stay');

    const bad = await runProc(process.execPath, [CLI, 'cleanup', '--config', file, '--older-than', 'ages']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--older-than <duration>' argument 'ages' is invalid\. Expected a duration/);
  } finally {
    for (const k of ['s3prober/other-target/x', 'user/data']) await s3.send(new DeleteObjectCommand({ Bucket: fixed, Key: k })).catch(() => undefined);
    for (const b of [`${own(old)}-x`, foreign, 'cln-userdata', fixed, own(fresh)]) await s3.send(new DeleteBucketCommand({ Bucket: b })).catch(() => undefined);
    s3.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
