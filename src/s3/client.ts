// One S3 client per target, configured so that a latency is one real request: no SDK retries,
// no checksum trailers (RGW rejects aws-chunked), no Expect: 100-continue round trip, keep-alive.
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { NodeAddress } from '../config/nodes.js';
import type { TargetConfig } from '../config/schema.js';
import { markRequestStart, requestSignal, withRequestSignal } from './instrument.js';

/** The SDK's handler, stamping each request's start right before it is issued, with the abort
 *  signal of the send that issued it (see routeSignals). A traced request carries its span as a
 *  W3C traceparent header, added here, after SigV4 signed the request: a header outside
 *  SignedHeaders leaves the signature valid, and a proxy that rewrites trace headers cannot break
 *  it (the SDK leaves X-Amzn-Trace-Id unsigned for that reason). */
class StampingHttpHandler extends NodeHttpHandler {
  override handle(...[request, options]: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    const parent = markRequestStart();
    if (parent !== undefined) request.headers.traceparent = parent;
    const abortSignal = options?.abortSignal ?? requestSignal();
    return super.handle(request, abortSignal ? { ...options, abortSignal } : options);
  }
}

type LooseSend = (command: unknown, ...rest: unknown[]) => Promise<unknown>;

/** With cacheMiddleware the SDK builds a command class's middleware stack once, not on every send
 *  (less CPU per operation and less time before each request starts: BENCHMARKS.md), but only for
 *  sends without options: `send(command, { abortSignal })` is sent without them and its signal
 *  reaches the HTTP handler through withRequestSignal. Other options go to the SDK as given. */
function routeSignals(s3: S3Client): void {
  const sdkSend = s3.send.bind(s3) as LooseSend;
  const send: LooseSend = (command, ...rest) => {
    const [options] = rest;
    const onlySignal = rest.length === 1 && typeof options === 'object' && options !== null &&
      Object.keys(options).every((k) => k === 'abortSignal');
    if (!onlySignal) return sdkSend(command, ...rest);
    return withRequestSignal((options as { abortSignal?: AbortSignal }).abortSignal, () => sdkSend(command));
  };
  s3.send = send as S3Client['send'];
}

export interface TargetClient {
  s3: S3Client;
  /** Closes idle keep-alive connections: the next request connects (and handshakes) anew. */
  closeIdleConnections(): void;
  destroy(): void;
}

/** Agents whose connections go to one node's address while everything above TCP keeps the
 *  endpoint's identity: the Host header and SigV4 come from the endpoint URL, and TLS keeps the
 *  endpoint's name as SNI and verifies the certificate against it (servername), never the IP. */
class NodeHttpAgent extends http.Agent {
  constructor(private readonly node: NodeAddress, opts: http.AgentOptions) {
    super(opts);
  }
  override createConnection(...[options, cb]: Parameters<http.Agent['createConnection']>): ReturnType<http.Agent['createConnection']> {
    return super.createConnection({ ...options, host: this.node.host, port: this.node.port }, cb);
  }
}

class NodeHttpsAgent extends https.Agent {
  constructor(private readonly node: NodeAddress, private readonly serverName: string, opts: https.AgentOptions) {
    super(opts);
  }
  override createConnection(...[options, cb]: Parameters<https.Agent['createConnection']>): ReturnType<https.Agent['createConnection']> {
    const o = options as https.RequestOptions & { servername?: string };
    return super.createConnection({ ...o, host: this.node.host, port: this.node.port, servername: o.servername || this.serverName } as typeof options, cb);
  }
}

/** node: connect to this address instead of the endpoint's (per-node probing). */
export function createTargetClient(target: TargetConfig, node?: NodeAddress): TargetClient {
  const agentOpts = { keepAlive: true, keepAliveMsecs: 1000, maxSockets: 32, maxFreeSockets: 8, scheduling: 'lifo' as const };
  const endpointHost = new URL(target.endpoint).hostname.replace(/^\[|\]$/g, '');
  const httpAgent = node ? new NodeHttpAgent(node, agentOpts) : new http.Agent(agentOpts);
  const tlsOpts: https.AgentOptions = {
    ...agentOpts,
    // No TLS session resumption: each cycle's first request does a full handshake, which is the
    // cold start worth timing, and shows the certificate the endpoint serves now (a resumed
    // session has none, and would hide a rotated certificate).
    maxCachedSessions: 0,
    ca: target.tls.caFile ? readFileSync(target.tls.caFile) : undefined,
    rejectUnauthorized: !target.tls.insecureSkipVerify,
    servername: target.tls.serverName,
  };
  const httpsAgent = node ? new NodeHttpsAgent(node, target.tls.serverName ?? endpointHost, tlsOpts) : new https.Agent(tlsOpts);
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
    cacheMiddleware: true, // nothing here adds middleware per command
    requestHandler: new StampingHttpHandler({ httpAgent, httpsAgent }),
  });
  routeSignals(s3);
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
