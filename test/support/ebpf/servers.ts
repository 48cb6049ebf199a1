// HTTP(S) servers on 127.0.0.1 that answer S3-shaped requests. Request headers steer them:
// x-test-delay-ms holds the response back, x-test-size sets the body size (default 32).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestServer {
  port: number;
  close(): Promise<void>;
}

export interface Cert {
  key: Buffer;
  cert: Buffer;
}

/** A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI. */
export function makeCert(): Cert {
  const dir = mkdtempSync(join(tmpdir(), 's3prober-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'pipe' });
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function handler(this: { delayMs: number }, req: http.IncomingMessage, res: http.ServerResponse): void {
  const delay = Number(req.headers['x-test-delay-ms'] ?? this.delayMs);
  const size = Number(req.headers['x-test-size'] ?? 32);
  req.resume();
  req.on('end', () => {
    holdUntil(process.hrtime.bigint() + BigInt(delay) * 1_000_000n, () => {
      // an XML body keeps the AWS SDK's parsers content; its size is what x-test-size asks for
      const body = Buffer.alloc(size, 0x20);
      body.write('<?xml version="1.0"?><R/>'.slice(0, size));
      res.writeHead(200, { 'content-type': 'application/xml', 'content-length': String(size) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
}

/** Timers may fire up to a millisecond early (libuv's cached loop time): re-arm until really due. */
function holdUntil(due: bigint, fn: () => void): void {
  const left = Number(due - process.hrtime.bigint()) / 1e6;
  if (left <= 0) fn();
  else setTimeout(() => holdUntil(due, fn), Math.ceil(left));
}

/** delayMs: hold every response that long unless the request says otherwise (x-test-delay-ms). */
export function startServer(o: { cert?: Cert; host?: string; port?: number; delayMs?: number; maxTls?: 'TLSv1.2' | 'TLSv1.3' } = {}): Promise<TestServer> {
  const h = handler.bind({ delayMs: o.delayMs ?? 0 });
  const server = o.cert ? https.createServer({ key: o.cert.key, cert: o.cert.cert, maxVersion: o.maxTls ?? 'TLSv1.3' }, h) : http.createServer(h);
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    });
  });
}

export interface ClientRequestOptions {
  tls?: boolean;
  host?: string;
  port: number;
  method: string;
  path: string;
  agent: http.Agent;
  delayMs?: number;
  size?: number;
  body?: Buffer;
  /** Send `Expect: 100-continue` and the body only once the server said so. */
  expectContinue?: boolean;
}

/** One request; resolves when the whole response body was read. */
export function request(o: ClientRequestOptions): Promise<number> {
  const mod = o.tls ? https : http;
  const headers: Record<string, string> = {
    'x-test-delay-ms': String(o.delayMs ?? 0),
    'x-test-size': String(o.size ?? 16),
  };
  if (o.body) headers['content-length'] = String(o.body.length);
  if (o.expectContinue) headers.expect = '100-continue';
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host: o.host ?? '127.0.0.1', port: o.port, method: o.method, path: o.path, agent: o.agent, headers,
      ...(o.tls ? { rejectUnauthorized: false } : {}),
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (o.expectContinue) req.once('continue', () => req.end(o.body));
    else req.end(o.body);
  });
}
