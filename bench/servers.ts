// Server-side helpers of the bench, each in its own process so their CPU, memory and event loop are
// never charged to the prober being measured:
//   servers.js proxy UPSTREAM [delayMs]   the test fault proxy; faults set over IPC ({type:'faults', faults});
//                                         {type:'exchanges'} answers with the exchanges it recorded since
//                                         the last ask, and clears them (the truth section's ground truth;
//                                         monotonic ns as decimal strings: IPC is JSON, no BigInt)
//   servers.js echo                       a minimal S3-ish HTTP server (4 KiB GET body, empty PUT answer)
// Each sends {type:'ready', url, port} once listening.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFaultProxy, type Fault } from '../test/support/fault-proxy.js';

const send = (m: unknown) => process.send?.(m);
const [mode, upstream, delay] = process.argv.slice(2);

if (mode === 'proxy') {
  const proxy = await startFaultProxy({ upstream: upstream! });
  const ms = Number(delay ?? 0);
  if (ms > 0) proxy.setFault({ kind: 'delay', ms });
  process.on('message', (m: { type: string; faults?: Fault[] | null }) => {
    if (m.type === 'faults') {
      proxy.setFault(m.faults ?? null);
      send({ type: 'faults-set' });
    } else if (m.type === 'stats') {
      send({ type: 'stats', requests: proxy.stats.requests, faulted: proxy.stats.faulted });
    } else if (m.type === 'exchanges') {
      const { exchanges, dropped } = proxy.takeExchanges();
      const str = (x: bigint | undefined) => (x === undefined ? undefined : x.toString());
      send({
        type: 'exchanges', dropped,
        exchanges: exchanges.map((x) => ({
          ...x, headNs: str(x.headNs), requestInNs: str(x.requestInNs), upstreamNs: str(x.upstreamNs),
          holdNs: str(x.holdNs), firstByteOutNs: str(x.firstByteOutNs),
        })),
      });
    }
  });
  process.once('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
  process.once('disconnect', () => void proxy.close().then(() => process.exit(0)));
  send({ type: 'ready', url: proxy.url, port: proxy.port });
} else if (mode === 'echo') {
  const body = Buffer.alloc(4096, 0x61);
  const server = http.createServer((q, s) => {
    q.resume();
    q.on('end', () => {
      s.setHeader('etag', '"e"');
      s.end(q.method === 'GET' ? body : '');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as AddressInfo).port;
    send({ type: 'ready', url: `http://127.0.0.1:${port}`, port });
  });
  process.once('SIGTERM', () => process.exit(0));
  process.once('disconnect', () => process.exit(0));
} else {
  console.error(`servers.js: unknown mode ${mode}`);
  process.exit(2);
}
