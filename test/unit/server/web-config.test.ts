// The exporter's own endpoints behind TLS and bcrypt basic auth (exporter-toolkit web config).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { makeTestCerts } from '../../support/certs.js';
import { CLI } from '../../support/exporter.js';
import { refusedEndpoint } from '../../support/fault-proxy.js';
import { runProc, spawnProc } from '../../support/proc.js';
import { freePort } from '../../support/rgw.js';

function get(url: string, ca: string, auth?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {} }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
  });
}

test('TLS and basic auth guard every endpoint; a bad web config is exit 2 naming the key', async () => {
  const certs = await makeTestCerts();
  const dir = mkdtempSync(join(tmpdir(), 's3prober-web-'));
  try {
    const cfg = join(dir, 'c.yaml');
    // Under test are the exporter's own endpoints: its target is a refused port (the start-up cycle
    // fails at once) and the schedule (once a year) adds no other cycle.
    const target = { name: 'w', endpoint: (await refusedEndpoint()).url, credentials: { accessKeyId: 'web-test', secretAccessKey: 'web-test-secret' }, objectSizes: ['4KiB'] };
    writeFileSync(cfg, stringify({ schedule: '0 0 1 1 *', targets: [target] }));
    const web = join(dir, 'web.yaml');
    writeFileSync(web, stringify({
      tls_server_config: { cert_file: certs.server.certPath, key_file: certs.server.keyPath },
      basic_auth_users: { prometheus: bcrypt.hashSync('scrape-pass', 10) },
    }));
    const port = await freePort();
    const p = spawnProc(process.execPath, [CLI, 'run', '--config', cfg, '--listen', `127.0.0.1:${port}`, '--web-config', web]);
    try {
      await p.waitForLine(/serving \/metrics on https:/, 30_000);
      const base = `https://127.0.0.1:${port}`;
      for (const path of ['/metrics', '/-/healthy', '/']) assert.equal((await get(base + path, certs.ca.cert)).status, 401, path);
      assert.equal((await get(`${base}/metrics`, certs.ca.cert, 'prometheus:wrong')).status, 401);
      assert.equal((await get(`${base}/metrics`, certs.ca.cert, 'nobody:scrape-pass')).status, 401);
      const ok = await get(`${base}/metrics`, certs.ca.cert, 'prometheus:scrape-pass');
      assert.equal(ok.status, 200);
      assert.match(ok.body, /s3prober_build_info/);
      // The second scrape with the same credentials hits the cache (no second bcrypt) and still passes.
      assert.equal((await get(`${base}/-/healthy`, certs.ca.cert, 'prometheus:scrape-pass')).status, 200);
      // Plain HTTP to the TLS port gets nothing.
      await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3000) }));
      assert.doesNotMatch(p.output(), /scrape-pass/);
    } finally {
      await p.kill();
    }

    writeFileSync(web, stringify({ basic_auth_users: { prometheus: 'plaintext-password' } }));
    const bad = await runProc(process.execPath, [CLI, 'run', '--config', cfg, '--web-config', web, '--listen', '127.0.0.1:0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid web config:\n\s+basic_auth_users\.prometheus: expected a bcrypt hash/);
    assert.doesNotMatch(bad.stderr, /plaintext-password/);

    writeFileSync(web, stringify({ tls_server_config: { cert_file: 'missing.pem', key_file: certs.server.keyPath } }));
    const missing = await runProc(process.execPath, [CLI, 'run', '--config', cfg, '--web-config', web, '--listen', '127.0.0.1:0']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /tls_server_config\.cert_file: cannot read missing\.pem: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await certs.cleanup();
  }
});
