// `run` with neither --listen nor `listen:` serves on the default address of src/config/listen.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { DEFAULT_LISTEN, DEFAULT_PORT } from '../../../src/config/listen.js';
import { CLI } from '../../support/exporter.js';
import { spawnProc } from '../../support/proc.js';

test('the server listens on the default port when nothing says otherwise', async () => {
  const dir = mkdtempSync(join(tmpdir(), 's3prober-port-'));
  const config = join(dir, 'config.yaml');
  // the endpoint refuses at once: only the HTTP side matters here
  writeFileSync(config, 'targets:\n  - name: a\n    endpoint: http://127.0.0.1:1\n    region: us-east-1\n    credentials: { accessKeyId: AK, secretAccessKey: SK }\n');
  const p = spawnProc(process.execPath, [CLI, 'run', '--config', config], { env: { ...process.env, S3PROBER_CONFIG: undefined } });
  try {
    const line = JSON.parse(await p.waitForLine(/"msg":"serving \/metrics on /)) as { listen: string };
    assert.equal(line.listen, DEFAULT_LISTEN);
    const r = await fetch(`http://127.0.0.1:${DEFAULT_PORT}/-/healthy`);
    assert.equal(r.status, 200);
  } finally {
    const r = await p.kill('SIGTERM', 20_000);
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.code, EXIT.ok, p.output().slice(-2000));
  }
});
