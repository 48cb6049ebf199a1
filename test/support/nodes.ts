// Several "nodes" of one S3 service on loopback: a fault proxy per loopback address (127.0.0.2,
// 127.0.0.3, ...), all on ONE port in front of the same upstream, as gateways behind one name are.
import { startFaultProxy, type FaultProxy, type FaultProxyOptions } from './fault-proxy.js';

export interface NodeProxies {
  /** The port every node listens on. */
  port: number;
  /** By address, in the order given. */
  proxies: Map<string, FaultProxy>;
  /** `address:port`: the `node` label of each, in the order given. */
  labels: string[];
  close(): Promise<void>;
}

/** tlsFor: each address's certificate when the nodes speak TLS. */
export async function startNodeProxies(
  addresses: string[], upstream: string, tlsFor?: (address: string) => FaultProxyOptions['tls'],
): Promise<NodeProxies> {
  // the first picks a free port; it may be taken on another address: start over a few times
  for (let attempt = 1; ; attempt++) {
    const proxies = new Map<string, FaultProxy>();
    const closeAll = () => Promise.all([...proxies.values()].map((p) => p.close()));
    try {
      let port = 0;
      for (const host of addresses) {
        const tls = tlsFor?.(host);
        const p = await startFaultProxy({ upstream, host, port, ...(tls ? { tls } : {}) });
        port = p.port;
        proxies.set(host, p);
      }
      return {
        port, proxies, labels: addresses.map((a) => `${a}:${port}`),
        close: async () => { await closeAll(); },
      };
    } catch (e) {
      await closeAll();
      if (attempt >= 5 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
}
