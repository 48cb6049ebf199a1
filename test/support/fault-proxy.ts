// An HTTP proxy in front of a real S3 server (RGW) that injects faults into matching requests.
// It speaks HTTP so a fault can hit one S3 operation and the exact point of a body; everything it
// does not fault is passed through byte for byte (raw headers, streaming bodies, keep-alive).
// Listening with TLS, it can also fault whole connections before any request (`plain-http`).
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultS3ErrorCode, s3ErrorXml, s3Operation } from './s3-operation.js';

export interface RequestInfo {
  method: string;
  /** Path without the query string, e.g. /bucket/key. */
  path: string;
  query: URLSearchParams;
  /** S3 API name guessed from method/path/query (path-style), e.g. GetObject, UploadPart. */
  operation: string;
  headers: http.IncomingHttpHeaders;
}

/** Which requests a fault hits. Object form: every given field must match.
 *  path: string = prefix, RegExp = test; query: string = that parameter is present. */
export type FaultMatch =
  | ((req: RequestInfo) => boolean)
  | { method?: string; operation?: string | string[]; path?: string | RegExp; query?: string | RegExp };

interface FaultCommon {
  match?: FaultMatch;
  /** Only the first N matching requests are faulted (default: all). */
  times?: number;
  /** Fault a matching request with this probability (default 1). */
  probability?: number;
}

export type Fault = FaultCommon & (
  /** Hold the response head for ms after the upstream answered. */
  | { kind: 'delay'; ms: number }
  /** XOR 0xff `count` (default 1) body bytes from `offset` (default 0): same length, other bytes. */
  | { kind: 'corrupt'; offset?: number; count?: number }
  /** Accept and read the request, never answer (until the client or close() gives up). */
  | { kind: 'stall'; drainRequest?: boolean }
  /** RST the client connection once `afterBytes` (default 0) request body bytes arrived. */
  | { kind: 'reset-request'; afterBytes?: number }
  /** Send the head and `afterBytes` (default half the Content-Length) body bytes, then RST. */
  | { kind: 'reset-response'; afterBytes?: number }
  /** Answer at once with status and an S3 error XML body (code defaults from status). */
  | { kind: 'status'; status: number; code?: string; message?: string; headers?: Record<string, string> }
  /** Send the real head (Content-Length intact) and `afterBytes` (default half) of the body, then FIN. */
  | { kind: 'truncate'; afterBytes?: number }
  /** Read the whole request and forward it ms later, even if the client gave up meanwhile (as a
   *  server applies a request whose client went away): a write whose outcome the client never saw. */
  | { kind: 'hold-request'; ms: number }
  /** Send the response body at bytesPerSecond. */
  | { kind: 'trickle'; bytesPerSecond: number }
  /** Answer ListBuckets as a server with pagination (AWS, newer Ceph) does, from the upstream's
   *  full listing: filtered by the request's `prefix` if `prefix`, cut to min(max-buckets,
   *  pageSize) names after its `continuation-token`, with a ContinuationToken when more remain.
   *  `stuckToken`: every page carries the token it was asked with (a listing that never ends). */
  | { kind: 'paginate-buckets'; pageSize: number; prefix: boolean; stuckToken?: boolean }
  /** Connection-level, TLS proxies only (no `match`: there is no request yet): an accepted
   *  connection is answered as a plain HTTP server answers an `https://` client, with a 400 in
   *  plain HTTP to the TLS ClientHello, then FIN. No TLS, no request read, nothing forwarded;
   *  `times` counts connections. */
  | { kind: 'plain-http'; match?: never }
);

/** Faults that hit a connection as it is accepted, before any request. */
const CONNECTION_FAULTS: ReadonlySet<Fault['kind']> = new Set(['plain-http']);

/** What Node's HTTP server writes to a client whose bytes it cannot parse as HTTP,
 *  such as a TLS ClientHello, before it closes the connection. */
const PLAIN_HTTP_BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

export interface FaultProxyStats {
  /** Requests seen (faulted or not). */
  requests: number;
  /** Requests a fault was applied to. */
  faulted: number;
  /** Requests seen per S3 operation. */
  byOperation: Record<string, number>;
  /** Client connections accepted (with TLS: handshakes completed). */
  connections: number;
  /** Client connections a connection-level fault (`plain-http`) answered instead: no request was
   *  read from them, so none is in requests, byOperation or log, and none reached the upstream. */
  connectionFaults: number;
  /** Client connections currently open. */
  readonly openConnections: number;
  /** The last 1000 requests in arrival order, with the fault kind applied to each (if any), the
   *  Host header, with TLS the name the client sent as SNI (what identity a request kept), and the
   *  W3C traceparent header the request carried (if any). */
  log: { method: string; path: string; operation: string; fault?: Fault['kind']; host?: string; sni?: string; traceparent?: string }[];
}

/** One exchange as the proxy saw it: the bench's ground truth for what the server side took, so
 *  the tracer's kernel figures are compared with measured times, not with a nominal delay (a
 *  setTimeout fires late, RGW takes its own time). Times are process.hrtime.bigint(), i.e.
 *  CLOCK_MONOTONIC: the clock of the client's RequestTrace and of the kernel tracer. */
export interface ProxyExchange {
  /** The client socket's remote port as the proxy sees it = the client's local port. */
  clientPort: number;
  /** Which client connection (accept order, 1-based) and which request on it (1-based):
   *  keep-alive carries several requests per socket, and a port may be reused later. */
  connection: number;
  seq: number;
  method: string;
  operation: string;
  fault?: Fault['kind'];
  /** The request head was parsed (the handler ran): right after the socket read that carried it. */
  headNs: bigint;
  /** The whole request was read from the client socket (headNs if it came in the head's read);
   *  undefined if it never was. Late by the proxy's own wake-up, as any user-space stamp is. */
  requestInNs?: bigint;
  /** The upstream's response head arrived (undefined if none: faults answered by the proxy, errors). */
  upstreamNs?: bigint;
  /** The hold the proxy really added before answering (a delay fault's timer as it fired), 0n without. */
  holdNs: bigint;
  /** The proxy handed the first response bytes (head) to the client socket (the write syscall
   *  follows in the same tick); undefined if never. */
  firstByteOutNs?: bigint;
}

export interface FaultProxy {
  url: string;
  port: number;
  /** Replace the active faults; the first whose match accepts a request applies (a connection-level
   *  one: the first of those, to each accepted connection). null: pass through. Throws on a
   *  connection-level fault the proxy cannot apply (no TLS) or given a `match`. */
  setFault(fault: Fault | Fault[] | null): void;
  stats: FaultProxyStats;
  /** The exchanges recorded since the last call, oldest first, and clears them. At most the newest
   *  MAX_EXCHANGES are kept (a long soak must not grow the proxy); `dropped` counts the older ones. */
  takeExchanges(): { exchanges: ProxyExchange[]; dropped: number };
  /** Stop listening and destroy every client and upstream socket. */
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  upstream: string;
  tls?: { key: string | Buffer; cert: string | Buffer };
  host?: string;
  port?: number;
}

const MAX_EXCHANGES = 10_000;
const now = () => process.hrtime.bigint();

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'expect']);

function matches(m: FaultMatch | undefined, r: RequestInfo): boolean {
  if (m === undefined) return true;
  if (typeof m === 'function') return m(r);
  if (m.method !== undefined && m.method.toUpperCase() !== r.method) return false;
  if (m.operation !== undefined && !(Array.isArray(m.operation) ? m.operation : [m.operation]).includes(r.operation)) return false;
  if (m.path !== undefined && !(typeof m.path === 'string' ? r.path.startsWith(m.path) : m.path.test(r.path))) return false;
  if (m.query !== undefined && !(typeof m.query === 'string' ? r.query.has(m.query) : m.query.test(r.query.toString()))) return false;
  return true;
}

/** Filter a raw header list ([name, value, ...]) keeping case and order. */
function rawHeaders(raw: string[], drop: (lower: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (!drop(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  return out;
}

/** RST instead of FIN. A TLS socket cannot reset its TLSWrap handle; its raw TCP parent can. */
function resetSocket(sock: Duplex | null | undefined): void {
  if (!sock) return;
  const s = sock as net.Socket & { _parent?: net.Socket };
  try {
    if (s._parent instanceof net.Socket) s._parent.resetAndDestroy();
    else s.resetAndDestroy();
  } catch { /* already closed */ }
  s.destroy();
}

function write(res: http.ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.destroyed) return reject(new Error('client gone'));
    res.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(opts.upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  let faults: Fault[] = [];
  const used = new Map<Fault, number>();
  const sockets = new Set<net.Socket>();
  // per client connection: accept order and how many requests it carried (keys the exchanges)
  const conns = new WeakMap<object, { id: number; requests: number }>();
  let exchanges: ProxyExchange[] = [];
  let dropped = 0;
  const stats: FaultProxyStats = {
    requests: 0, faulted: 0, byOperation: {}, connections: 0, connectionFaults: 0, log: [],
    get openConnections() { return sockets.size; },
  };

  /** The first active fault that applies, counted against its `times`. */
  const pick = (applies: (f: Fault) => boolean): Fault | undefined => {
    for (const f of faults) {
      if (!applies(f)) continue;
      const n = used.get(f) ?? 0;
      if (f.times !== undefined && n >= f.times) continue;
      if (f.probability !== undefined && Math.random() >= f.probability) continue;
      used.set(f, n + 1);
      return f;
    }
    return undefined;
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const info: RequestInfo = {
      method: (req.method ?? 'GET').toUpperCase(), path: url.pathname, query: url.searchParams,
      operation: s3Operation(req.method ?? 'GET', url.pathname, url.searchParams, req.headers['x-amz-copy-source'] !== undefined),
      headers: req.headers,
    };
    stats.requests++;
    stats.byOperation[info.operation] = (stats.byOperation[info.operation] ?? 0) + 1;
    const fault = pick((f) => !CONNECTION_FAULTS.has(f.kind) && matches(f.match, info));
    if (fault) stats.faulted++;
    const sni = (req.socket as Partial<tls.TLSSocket>).servername;
    const traceparent = req.headers.traceparent;
    stats.log.push({
      method: info.method, path: info.path, operation: info.operation, ...(fault ? { fault: fault.kind } : {}),
      ...(req.headers.host ? { host: req.headers.host } : {}), ...(typeof sni === 'string' ? { sni } : {}),
      ...(typeof traceparent === 'string' ? { traceparent } : {}),
    });
    if (stats.log.length > 1000) stats.log.shift();
    handle(req, res, info, record(req, res, info, fault), fault).catch(() => { res.destroy(); });
  };

  /** `plain-http`: waits for the client's first bytes (its ClientHello), as a server reads before it
   *  answers, then the 400 and FIN; reads on until the client closes, so no unread byte turns the
   *  close into an RST. */
  function answerPlainHttp(sock: net.Socket): void {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => { /* the client gave up first */ });
    sock.once('data', () => sock.end(PLAIN_HTTP_BAD_REQUEST));
  }

  /** Starts the exchange's record. First byte out: the response's public write methods (every path
   *  through handle() answers with one of them, and the head goes out with the first). */
  function record(req: http.IncomingMessage, res: http.ServerResponse, info: RequestInfo, fault?: Fault): ProxyExchange {
    const conn = conns.get(req.socket);
    if (conn) conn.requests++;
    const x: ProxyExchange = {
      clientPort: req.socket.remotePort ?? 0, connection: conn?.id ?? 0, seq: conn?.requests ?? 0,
      method: info.method, operation: info.operation, ...(fault ? { fault: fault.kind } : {}),
      headNs: now(), holdNs: 0n,
    };
    // 'end' comes after this handler's own work even for a body read together with the head (Node
    // parses that body only after the handler and its ticks), so it would stamp late: if no byte was
    // read from the socket since the head, the whole request came in the head's read.
    const readAtHead = req.socket.bytesRead;
    req.once('end', () => {
      x.requestInNs = typeof readAtHead === 'number' && req.socket.bytesRead === readAtHead ? x.headNs : now();
    });
    const out = res as unknown as Record<'write' | 'end' | 'flushHeaders', (...a: unknown[]) => unknown>;
    for (const m of ['write', 'end', 'flushHeaders'] as const) {
      const orig = out[m];
      out[m] = function (this: unknown, ...a: unknown[]) {
        if (x.firstByteOutNs === undefined && !res.destroyed) x.firstByteOutNs = now();
        return orig.apply(this, a);
      };
    }
    exchanges.push(x);
    if (exchanges.length > MAX_EXCHANGES) { exchanges.shift(); dropped++; }
    return x;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, info: RequestInfo, x: ProxyExchange, fault?: Fault) {
    switch (fault?.kind) {
      case 'stall':
        if (fault.drainRequest !== false) req.resume();
        return; // the socket stays open until the client or close() ends it
      case 'reset-request': {
        const after = fault.afterBytes ?? 0;
        let seen = 0;
        const check = () => { if (seen >= after || req.readableEnded) resetSocket(req.socket); };
        if (after === 0) return resetSocket(req.socket);
        req.on('data', (c: Buffer) => { seen += c.length; check(); });
        req.on('end', check);
        return;
      }
      case 'status': {
        req.resume(); // drain, so the connection stays usable for keep-alive
        const { code, message } = { ...defaultS3ErrorCode(fault.status), ...pickDefined(fault.code, fault.message) };
        const requestId = `fault${Date.now().toString(16)}${Math.floor(Math.random() * 1e6)}`;
        const body = Buffer.from(s3ErrorXml(code, message, info.path, requestId));
        res.writeHead(fault.status, {
          'Content-Type': 'application/xml', 'Content-Length': body.length,
          'x-amz-request-id': requestId, ...(fault.headers ?? {}),
        });
        res.end(body);
        return;
      }
    }

    let held: Buffer | undefined;
    if (fault?.kind === 'hold-request') {
      const chunks: Buffer[] = [];
      for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
      held = Buffer.concat(chunks);
      await sleep(fault.ms);
    }
    const upReq = http.request({
      host: upstream.hostname, port: upstream.port || 80, method: req.method, path: req.url, agent,
      headers: rawHeaders(req.rawHeaders, (h) => HOP_BY_HOP.has(h)) as unknown as http.OutgoingHttpHeaders,
    });
    if (held) upReq.end(held); // applied upstream whatever became of the client
    else {
      res.on('close', () => { if (!res.writableFinished) upReq.destroy(); });
      req.pipe(upReq);
    }
    const upRes = await new Promise<http.IncomingMessage>((resolve, reject) => {
      upReq.on('response', resolve);
      upReq.on('error', reject);
    }).catch((err: Error) => {
      if (!res.headersSent && !res.destroyed) {
        const body = s3ErrorXml('BadGateway', `fault proxy: upstream ${err.message}`, info.path, 'fault-proxy');
        res.writeHead(502, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) }).end(body);
      }
      return undefined;
    });
    if (!upRes) return;
    x.upstreamNs = now();
    upRes.on('error', () => res.destroy());
    if (fault?.kind === 'delay') {
      // what the timer really held, not the nominal ms: setTimeout fires late, by a load-dependent amount
      const h0 = now();
      await sleep(fault.ms);
      x.holdNs = now() - h0;
    }
    if (res.destroyed) { upRes.destroy(); return; }
    if (fault?.kind === 'paginate-buckets' && upRes.statusCode === 200) {
      const chunks: Buffer[] = [];
      for await (const c of upRes as AsyncIterable<Buffer>) chunks.push(c);
      const body = Buffer.from(bucketPage(Buffer.concat(chunks).toString('utf8'), info.query, fault));
      const head = rawHeaders(upRes.rawHeaders, (h) => HOP_BY_HOP.has(h) || h === 'content-length' || h === 'transfer-encoding');
      res.writeHead(200, upRes.statusMessage, [...head, 'Content-Length', String(body.length)] as unknown as http.OutgoingHttpHeaders);
      res.end(body);
      return;
    }
    res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage,
      rawHeaders(upRes.rawHeaders, (h) => HOP_BY_HOP.has(h)) as unknown as http.OutgoingHttpHeaders);
    const length = Number(upRes.headers['content-length'] ?? NaN);
    const noBody = info.method === 'HEAD' || upRes.statusCode === 204 || upRes.statusCode === 304;
    const half = noBody ? 0 : Number.isFinite(length) ? Math.floor(length / 2) : 1;

    if (fault?.kind === 'corrupt' || fault?.kind === 'trickle' || fault?.kind === 'reset-response' || fault?.kind === 'truncate') {
      const cut = fault.kind === 'reset-response' || fault.kind === 'truncate' ? (fault.afterBytes ?? half) : Infinity;
      const flipFrom = fault.kind === 'corrupt' ? (fault.offset ?? 0) : Infinity;
      const flipTo = fault.kind === 'corrupt' ? flipFrom + (fault.count ?? 1) : Infinity;
      const started = Date.now();
      let sent = 0;
      res.flushHeaders();
      for await (const c of upRes as AsyncIterable<Buffer>) {
        let chunk = c;
        if (sent + chunk.length > cut) chunk = chunk.subarray(0, cut - sent);
        if (sent < flipTo && sent + chunk.length > flipFrom) {
          chunk = Buffer.from(chunk);
          for (let i = Math.max(flipFrom - sent, 0); i < Math.min(flipTo - sent, chunk.length); i++) chunk[i]! ^= 0xff;
        }
        if (fault.kind === 'trickle') {
          for (let off = 0; off < chunk.length;) {
            // Pace by elapsed time (not per tick) so timer jitter does not accumulate.
            const allowed = Math.floor(((Date.now() - started) / 1000) * fault.bytesPerSecond) - sent;
            if (allowed <= 0) { await sleep(20); continue; }
            const piece = chunk.subarray(off, off + allowed);
            await write(res, piece);
            off += piece.length; sent += piece.length;
          }
        } else if (chunk.length > 0) {
          await write(res, chunk);
          sent += chunk.length;
        }
        if (sent >= cut) break;
      }
      if (sent >= cut) {
        upRes.destroy(); // leaves the upstream connection unreusable; the agent drops it
        await sleep(20); // let the client parse what it got before the connection dies
        if (fault.kind === 'reset-response') resetSocket(res.socket);
        else res.socket?.end();
        return;
      }
      res.end();
      return;
    }
    upRes.pipe(res);
  }

  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : http.createServer(handler);
  if (opts.tls) {
    // A TLS server begins the handshake in its 'connection' listeners: a connection-level fault
    // answers in their place, the other connections go on to them.
    const beginTls = server.listeners('connection') as ((sock: net.Socket) => void)[];
    server.removeAllListeners('connection');
    server.on('connection', (sock: net.Socket) => {
      const fault = pick((f) => CONNECTION_FAULTS.has(f.kind));
      if (!fault) {
        for (const begin of beginTls) begin.call(server, sock);
        return;
      }
      stats.connectionFaults++;
      answerPlainHttp(sock);
    });
  }
  server.keepAliveTimeout = 60_000; // longer than client idle timeouts: the client decides reuse
  server.on(opts.tls ? 'secureConnection' : 'connection', (sock: net.Socket) => {
    stats.connections++;
    conns.set(sock, { id: stats.connections, requests: 0 });
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('close', () => sockets.delete(sock));
  });
  server.on('clientError', (_err, sock) => sock.destroy());
  if (opts.tls) server.on('tlsClientError', () => { /* tests provoke these on purpose */ });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    url: `${opts.tls ? 'https' : 'http'}://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    stats,
    setFault(f) {
      const next = f === null ? [] : Array.isArray(f) ? f : [f];
      for (const x of next.filter((x) => CONNECTION_FAULTS.has(x.kind))) {
        if (!opts.tls) throw new Error(`fault proxy: '${x.kind}' replaces the TLS handshake: start the proxy with tls`);
        if (x.match !== undefined) throw new Error(`fault proxy: '${x.kind}' hits connections before any request: no match`);
      }
      faults = next;
      used.clear();
    },
    takeExchanges() {
      const r = { exchanges, dropped };
      exchanges = [];
      dropped = 0;
      return r;
    },
    async close() {
      faults = [];
      const closed = [...sockets].map((s) => new Promise((resolve) => { s.once('close', resolve); s.destroy(); }));
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      agent.destroy();
      await Promise.all([stopped, ...closed]);
    },
  };
}

/** One page of a ListAllMyBucketsResult (see the 'paginate-buckets' fault); tokens are the last
 *  name of the page before, base64url. */
function bucketPage(xml: string, q: URLSearchParams, f: { pageSize: number; prefix: boolean; stuckToken?: boolean }): string {
  const entries = [...xml.matchAll(/<Bucket>[\s\S]*?<\/Bucket>/g)].map((m) => ({ xml: m[0], name: /<Name>([^<]*)<\/Name>/.exec(m[0])?.[1] ?? '' }));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const prefix = q.get('prefix') ?? '';
  const token = q.get('continuation-token') ?? undefined;
  const after = token === undefined ? undefined : Buffer.from(token, 'base64url').toString('utf8');
  const wanted = entries.filter((e) => (!f.prefix || e.name.startsWith(prefix)) && (after === undefined || e.name > after));
  const page = wanted.slice(0, Math.min(Number(q.get('max-buckets') ?? Infinity), f.pageSize));
  const next = f.stuckToken && token !== undefined ? token
    : wanted.length > page.length ? Buffer.from(page.at(-1)!.name).toString('base64url') : undefined;
  const start = xml.indexOf('<Buckets>');
  const end = xml.indexOf('</Buckets>');
  const buckets = start < 0 || end < 0 ? '<Buckets></Buckets>' : `<Buckets>${page.map((e) => e.xml).join('')}</Buckets>`;
  const head = start < 0 ? xml.slice(0, xml.lastIndexOf('</ListAllMyBucketsResult>')) : xml.slice(0, start);
  const extra = `${next ? `<ContinuationToken>${next}</ContinuationToken>` : ''}${f.prefix && prefix ? `<Prefix>${prefix}</Prefix>` : ''}`;
  return `${head}${buckets}${extra}</ListAllMyBucketsResult>`;
}

function pickDefined(code?: string, message?: string): { code?: string; message?: string } {
  return { ...(code !== undefined ? { code } : {}), ...(message !== undefined ? { message } : {}) };
}

/** A loopback URL where nothing listens (connection refused). The port was free a moment ago. */
export async function refusedEndpoint(): Promise<{ url: string; port: number }> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return { url: `http://127.0.0.1:${port}`, port };
}
