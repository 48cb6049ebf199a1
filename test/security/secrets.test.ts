// Secrets never leave the process: after runs that fail in many ways, at the most verbose log level,
// no secret key, session token or request signature appears in logs, metrics, the status page,
// check-config output or error messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { makeTestCerts } from '../support/certs.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { CLI, startExporter } from '../support/exporter.js';
import { runProc } from '../support/proc.js';
import { freePort, testRgw } from '../support/rgw.js';
import { targetYaml } from '../support/targets.js';

const SECRET = 'SeCrEt-wrong-0123456789abcdefghij';
const TOKEN = 'SeSsIoN-token-ZYXWVUTSRQPONMLKJI';

test('no secret in any output after every kind of failure', async () => {
  const rgw = testRgw();
  const certs = await makeTestCerts();
  const proxy = await startFaultProxy({ upstream: rgw.endpoint });
  const tlsProxy = await startFaultProxy({ upstream: rgw.endpoint, tls: { key: certs.untrusted.key, cert: certs.untrusted.cert } });
  proxy.setFault([
    { kind: 'status', status: 500, code: 'InternalError', match: { operation: 'ListBuckets' } },
    { kind: 'reset-response', match: { operation: 'GetObject' } },
  ]);
  const dir = mkdtempSync(join(tmpdir(), 's3prober-sec-'));
  const env = { WRONG: SECRET, TOKEN };
  const withCreds = (t: Record<string, unknown>, token = false) => ({
    ...t,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: '${WRONG}', ...(token ? { sessionToken: '${TOKEN}' } : {}) },
  });
  const config = {
    schedule: '*/1 * * * * *',
    timeout: '2s',
    logLevel: 'trace',
    targets: [
      withCreds(targetYaml({ name: 'auth', objectSizes: ['4KiB'] }), true),
      withCreds(targetYaml({ name: 'refused', endpoint: `http://127.0.0.1:${await freePort()}`, objectSizes: ['4KiB'] })),
      withCreds(targetYaml({ name: 'dns', endpoint: 'http://no-such-host.invalid', objectSizes: ['4KiB'] })),
      withCreds(targetYaml({ name: 'tls', endpoint: tlsProxy.url, objectSizes: ['4KiB'] })),
      // The right key through a proxy that fails some calls: requests are signed and sent.
      targetYaml({ name: 'faulty', endpoint: proxy.url, objectSizes: ['4KiB'] }),
    ],
  };
  const exp = await startExporter(config, env);
  try {
    await exp.waitReady();
    await sleep(1500); // a few more cycles of every failure
    const outputs: Record<string, string> = {
      metrics: (await exp.metrics()).text,
      openmetrics: (await exp.metrics('application/openmetrics-text')).text,
      status: await (await fetch(`${exp.url}/`)).text(),
    };
    writeFileSync(join(dir, 'c.yaml'), stringify(config));
    const check = await runProc(process.execPath, [CLI, 'check-config', join(dir, 'c.yaml')], { env: { ...process.env, ...env } });
    assert.equal(check.code, 0, check.stderr);
    outputs.checkConfig = check.stdout + check.stderr;
    writeFileSync(join(dir, 'bad.yaml'), stringify({ ...config, timeout: SECRET }));
    const bad = await runProc(process.execPath, [CLI, 'check-config', join(dir, 'bad.yaml')], { env: { ...process.env, ...env } });
    assert.equal(bad.code, 2);
    outputs.configError = bad.stdout + bad.stderr;
    const once = await runProc(process.execPath, [CLI, 'once', '--config', join(dir, 'c.yaml')], { env: { ...process.env, ...env }, timeoutMs: 60_000 });
    assert.equal(once.code, 1);
    outputs.once = once.stdout + once.stderr;
    await exp.stop();
    outputs.logs = exp.proc.output();

    // Each failure kind really happened (so the grep below covers it).
    for (const reason of ['auth', 'connection_refused', 'dns', 'tls', 'server_error', 'connection_reset']) {
      assert.ok(outputs.logs.includes(`"reason":"${reason}"`), `no ${reason} failure was logged`);
    }
    for (const [where, text] of Object.entries(outputs)) {
      for (const [what, needle] of [['secret key', SECRET], ['session token', TOKEN], ['test secret', rgw.secretAccessKey]] as const) {
        assert.ok(!text.includes(needle), `${what} found in ${where}`);
      }
      assert.doesNotMatch(text, /Signature=[0-9a-f]{16}/, `a request signature in ${where}`);
      assert.doesNotMatch(text, /AWS4-HMAC-SHA256 Credential=[A-Za-z0-9]/, `an Authorization header in ${where}`);
    }
  } finally {
    await exp.stop();
    await proxy.close();
    await tlsProxy.close();
    await certs.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
