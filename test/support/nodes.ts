// Several "nodes" of one S3 service on loopback: a fault proxy per loopback address (127.0.0.2,
// 127.0.0.3, ...), all on ONE port in front of the same upstream, as gateways behind one name are;
// and reading a node's series from the exporter's /metrics.
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { ALL_METRIC_NAMES, PROBER_METRICS, TARGET_LEVEL_METRICS } from '../../src/metrics/names.js';
import type { Exporter } from './exporter.js';
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

/** Every sample of target's family `name` whose node label is node. */
export function nodeSeries(text: string, name: string, target: string, node: string): { line: string; value: number }[] {
  return text.split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(`target="${target}"`) && l.includes(`node="${node}"`))
    .map((line) => ({ line, value: Number(line.slice(line.lastIndexOf(' ') + 1)) }));
}

/** The cycles a node has finished (s3prober_cycles_total, every outcome). */
export function cyclesOf(text: string, target: string, node: string): number {
  return nodeSeries(text, PROBER_METRICS.cyclesTotal, target, node).reduce((n, s) => n + s.value, 0);
}

/** Waits until each node has finished `more` more cycles than now (2: one whole cycle ran after a
 *  change made now); resolves with that scrape. */
export async function nextCycles(exp: Exporter, target: string, nodes: string[], more = 2, timeoutMs = 90_000): Promise<string> {
  const start = (await exp.metrics()).text;
  const want = nodes.map((n) => cyclesOf(start, target, n) + more);
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { text } = await exp.metrics();
    if (nodes.every((n, i) => cyclesOf(text, target, n) >= want[i]!)) return text;
    if (Date.now() > end) throw new Error(`${nodes.join(', ')} did not finish ${more} more cycles:\n${exp.proc.output().slice(-3000)}`);
    await sleep(200);
  }
}

/** The family a sample line belongs to (histogram and summary lines carry suffixes). */
function familyOf(line: string): string | undefined {
  const series = line.slice(0, line.search(/[{ ]/));
  return [...ALL_METRIC_NAMES].sort((a, b) => b.length - a.length).find((f) => series === f || series.startsWith(`${f}_`));
}

/** Asserts that of a per-node target's families on /metrics, exactly the target-level ones
 *  (TARGET_LEVEL_METRICS) carry no node label; resolves with the families seen. */
export function nodeLabelsByFamily(text: string, target: string): Set<string> {
  const withNode = new Map<string, boolean>();
  for (const l of text.split('\n').filter((l) => l.includes(`target="${target}"`))) {
    const f = familyOf(l);
    if (f) withNode.set(f, (withNode.get(f) ?? false) || l.includes('node="'));
  }
  for (const [f, has] of withNode) assert.equal(has, !TARGET_LEVEL_METRICS.includes(f), `${f}: node label ${has ? 'present' : 'missing'}`);
  return new Set(withNode.keys());
}
