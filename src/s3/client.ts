// One S3 client per target, configured so that a latency is one real request: no SDK retries,
// no checksum trailers (RGW rejects aws-chunked), no Expect: 100-continue round trip, keep-alive.
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { TargetConfig } from '../config/schema.js';
import { markRequestStart } from './instrument.js';

/** The SDK's handler, stamping each request's start right before it is issued. */
class StampingHttpHandler extends NodeHttpHandler {
  override handle(...args: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    markRequestStart();
    return super.handle(...args);
  }
}

export interface TargetClient {
  s3: S3Client;
  /** Closes idle keep-alive connections: the next request connects (and handshakes) anew. */
  closeIdleConnections(): void;
  destroy(): void;
}

export function createTargetClient(target: TargetConfig): TargetClient {
  const agentOpts = { keepAlive: true, keepAliveMsecs: 1000, maxSockets: 32, maxFreeSockets: 8, scheduling: 'lifo' as const };
  const httpAgent = new http.Agent(agentOpts);
  const httpsAgent = new https.Agent({
    ...agentOpts,
    // No TLS session resumption: each cycle's first request does a full handshake, which is the
    // cold start worth timing, and shows the certificate the endpoint serves now (a resumed
    // session has none, and would hide a rotated certificate).
    maxCachedSessions: 0,
    ca: target.tls.caFile ? readFileSync(target.tls.caFile) : undefined,
    rejectUnauthorized: !target.tls.insecureSkipVerify,
    servername: target.tls.serverName,
  });
  const credentials = 'accessKeyId' in target.credentials
    ? {
        accessKeyId: target.credentials.accessKeyId,
        secretAccessKey: target.credentials.secretAccessKey,
        ...(target.credentials.sessionToken ? { sessionToken: target.credentials.sessionToken } : {}),
      }
    : undefined; // undefined: the SDK's default provider chain
  const s3 = new S3Client({
    endpoint: target.endpoint,
    region: target.region,
    forcePathStyle: target.pathStyle,
    credentials,
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    expectContinueHeader: false,
    requestHandler: new StampingHttpHandler({ httpAgent, httpsAgent }),
  });
  return {
    s3,
    closeIdleConnections() {
      for (const agent of [httpAgent, httpsAgent]) {
        for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
      }
    },
    destroy() {
      s3.destroy();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
