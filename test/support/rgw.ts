// The Ceph RGW the tests talk to: the shared one `npm test` started (scripts/test.sh), and extra
// independent clusters for tests that need their own (started/stopped with scripts/rgw-*.sh).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { runProc } from './proc.js';

export interface S3Target {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

// dist/test/support/rgw.js -> repository root
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const START = path.join(REPO_ROOT, 'scripts/rgw-start.sh');
const STOP = path.join(REPO_ROOT, 'scripts/rgw-stop.sh');

/** The shared test RGW from the environment `npm test` sets up. */
export function testRgw(): S3Target {
  const endpoint = process.env.S3PROBER_TEST_ENDPOINT;
  const accessKeyId = process.env.S3PROBER_TEST_ACCESS_KEY;
  const secretAccessKey = process.env.S3PROBER_TEST_SECRET_KEY;
  if (!endpoint || !accessKeyId || !secretAccessKey) {
    throw new Error('S3PROBER_TEST_ENDPOINT/_ACCESS_KEY/_SECRET_KEY are not set: run the tests via `npm test` ' +
      '(scripts/test.sh starts the test RGW and exports them)');
  }
  return { endpoint, accessKeyId, secretAccessKey };
}

/** An SDK client with the settings a prober needs against RGW (path style, no retries,
 *  no default checksums: RGW 16.2 rejects aws-chunked trailers). */
export function s3Client(target: S3Target, overrides: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint: target.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    ...overrides,
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface ExtraRgw extends S3Target {
  base: string;
  rgwPort: number;
  /** With `zoneB`: zone b's endpoint (the cluster is RGW multisite, `endpoint` is zone a's). */
  endpointB?: string;
  /** radosgw-admin against this cluster (e.g. `bucket sync disable --bucket=x`); its stdout. */
  admin(...args: string[]): Promise<string>;
  monPort: number;
  /** Daemon pids from $BASE/pids (mon, osd, rgw). */
  pids(): number[];
  /** Stop the cluster and remove its directory. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<string>();
let hooked = false;

/** Start an independent RGW cluster (own BASE and ports); `zoneB`: RGW multisite, zones a and b
 *  each with a radosgw (scripts/rgw-start.sh, ZONE_B_PORT). Always call stop(); a process-exit
 *  hook stops any that a failing test forgot. */
export async function startExtraRgw(opts: { accessKeyId?: string; secretAccessKey?: string; zoneB?: boolean } = {}): Promise<ExtraRgw> {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => { for (const b of running) spawnSync('bash', [STOP], { env: { ...process.env, BASE: b }, stdio: 'ignore' }); });
  }
  const accessKeyId = opts.accessKeyId ?? 'extra';
  const secretAccessKey = opts.secretAccessKey ?? 'extra-secret';
  const base = mkdtempSync(path.join(os.tmpdir(), 's3prober-rgw-'));
  // Two tries: a port found free can be taken by someone else before the daemons bind it.
  for (let attempt = 1; ; attempt++) {
    const rgwPort = await freePort();
    const monPort = await freePort();
    const zoneBPort = opts.zoneB ? await freePort() : undefined;
    const env = { ...process.env, BASE: base, RGW_PORT: String(rgwPort), MON_PORT: String(monPort),
      S3_ACCESS_KEY: accessKeyId, S3_SECRET_KEY: secretAccessKey, ...(zoneBPort ? { ZONE_B_PORT: String(zoneBPort) } : {}) };
    running.add(base);
    const r = await runProc('bash', [START], { env, timeoutMs: 180_000 });
    const ready = r.stdout.split('\n').find((l) => l.startsWith('RGW_READY '));
    if (r.code === 0 && ready) {
      let stopped = false;
      return {
        endpoint: `http://127.0.0.1:${rgwPort}`, accessKeyId, secretAccessKey, base, rgwPort, monPort,
        ...(zoneBPort ? { endpointB: `http://127.0.0.1:${zoneBPort}` } : {}),
        async admin(...args: string[]) {
          const a = await runProc('radosgw-admin', ['-c', path.join(base, 'ceph.conf'), ...args], { timeoutMs: 60_000 });
          if (a.code !== 0) throw new Error(`radosgw-admin ${args.join(' ')} failed (${a.code}): ${a.stderr}`);
          return a.stdout;
        },
        pids: () => readFileSync(path.join(base, 'pids'), 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[1])),
        async stop() {
          if (stopped) return;
          stopped = true;
          const s = await runProc('bash', [STOP], { env: { ...process.env, BASE: base }, timeoutMs: 60_000 });
          running.delete(base);
          if (s.code !== 0) throw new Error(`rgw-stop.sh failed (${s.code}): ${s.stderr}`);
        },
      };
    }
    await runProc('bash', [STOP], { env: { ...process.env, BASE: base }, timeoutMs: 60_000 });
    running.delete(base);
    if (attempt >= 2) {
      rmSync(base, { recursive: true, force: true });
      throw new Error(`rgw-start.sh failed (code ${r.code}):\n${r.stdout}${r.stderr}`);
    }
  }
}
