// The embedded default target: with no config, the exporter starts a Ceph RGW on loopback (via the
// project's own scripts/rgw-start.sh), probes it, and stops it again on exit.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';

const run = promisify(execFile);

export interface LocalRgw {
  endpoint: string;
  config: Config;
  stop(): Promise<void>;
}

class EmbeddedTargetError extends Error {}

/** scripts/ of this package, from dist/src/embedded or src/embedded. */
function scriptsDir(): string {
  for (const rel of ['../../../scripts', '../../scripts']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(p, 'rgw-start.sh'))) return p;
  }
  throw new EmbeddedTargetError('scripts/rgw-start.sh not found next to this installation');
}

function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.S3PROBER_STATE_DIR ?? join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 's3prober');
}

/** Keys of the local RGW user, made once per state dir and kept private to its owner. */
function localKeys(dir: string): { accessKeyId: string; secretAccessKey: string } {
  const file = join(dir, 'local-rgw-keys.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { accessKeyId: string; secretAccessKey: string };
  const keys = { accessKeyId: `local${randomBytes(6).toString('hex')}`, secretAccessKey: randomBytes(24).toString('base64url') };
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

export async function startLocalRgw(opts: { port?: number; monPort?: number; env?: NodeJS.ProcessEnv } = {}): Promise<LocalRgw> {
  const env = opts.env ?? process.env;
  const dir = stateDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys = localKeys(dir);
  const port = opts.port ?? Number(env.S3PROBER_LOCAL_RGW_PORT ?? 7480);
  const rgwEnv = {
    ...env,
    BASE: join(dir, 'rgw'),
    RGW_PORT: String(port),
    MON_PORT: String(opts.monPort ?? Number(env.S3PROBER_LOCAL_MON_PORT ?? 6789)),
    S3_ACCESS_KEY: keys.accessKeyId,
    S3_SECRET_KEY: keys.secretAccessKey,
  };
  const scripts = scriptsDir();
  try {
    await run('bash', [join(scripts, 'rgw-start.sh')], { env: rgwEnv, timeout: 300_000 });
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    throw new EmbeddedTargetError(
      `no config given, and the embedded local S3 target (Ceph RGW on 127.0.0.1:${port}) could not start: ${stderr || (e as Error).message}. ` +
        'Install it with `sudo bash scripts/setup.sh`, or pass --config FILE to probe your own endpoints.',
    );
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const config = parseConfig(
    [
      'targets:',
      '  - name: local-rgw',
      `    endpoint: ${endpoint}`,
      '    region: us-east-1',
      '    credentials: { accessKeyId: "${S3PROBER_LOCAL_AK}", secretAccessKey: "${S3PROBER_LOCAL_SK}" }',
      '    labels: { site: local }',
    ].join('\n'),
    { S3PROBER_LOCAL_AK: keys.accessKeyId, S3PROBER_LOCAL_SK: keys.secretAccessKey },
    '(embedded default)',
  );
  let stopped = false;
  return {
    endpoint,
    config,
    async stop() {
      if (stopped) return;
      stopped = true;
      await run('bash', [join(scripts, 'rgw-stop.sh')], { env: rgwEnv, timeout: 60_000 }).catch(() => undefined);
    },
  };
}
