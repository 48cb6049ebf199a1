// Which nodes a target probes this cycle: its fixed list, or every A/AAAA address its endpoint's
// host resolves to now (through the configured DNS server, or the system's resolver).
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { endpointPort, nodeLabel, parseNode, type NodeAddress } from '../config/nodes.js';
import type { TargetConfig } from '../config/schema.js';
import { errorMessage } from './classify.js';

export interface Discovery {
  /** Sorted by label, at most maxNodes of them. */
  nodes: NodeAddress[];
  /** How many addresses were found (more than nodes when maxNodes cut the list). */
  found: number;
  /** Discovery failed: why (the caller keeps the nodes it last saw). */
  error?: string;
}

/** DNS answers that mean "no such records of this family", not a failure. */
const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND']);

async function resolveAll(host: string, resolver: string | undefined, timeoutMs: number): Promise<string[]> {
  if (isIP(host)) return [host];
  if (resolver === undefined) {
    const all = await dns.lookup(host, { all: true, verbatim: true });
    return all.map((a) => a.address);
  }
  const r = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
  const server = parseNode(resolver, 53)!;
  r.setServers([nodeLabel(server)]);
  const family = (q: Promise<string[]>) => q.catch((e: NodeJS.ErrnoException) => {
    if (e.code && NO_RECORDS.has(e.code)) return [];
    throw e;
  });
  const [v4, v6] = await Promise.all([family(r.resolve4(host)), family(r.resolve6(host))]);
  if (!v4.length && !v6.length) throw Object.assign(new Error(`${host} has no A or AAAA records`), { code: 'ENODATA' });
  return [...v4, ...v6];
}

export async function discoverNodes(t: TargetConfig): Promise<Discovery> {
  const port = endpointPort(t.endpoint);
  let nodes: NodeAddress[];
  try {
    if (Array.isArray(t.nodes)) nodes = t.nodes.map((n) => parseNode(n, port)!);
    else {
      const host = new URL(t.endpoint).hostname.replace(/^\[|\]$/g, '');
      nodes = (await resolveAll(host, t.resolver, t.timeout)).map((address) => ({ host: address, port }));
    }
  } catch (e) {
    return { nodes: [], found: 0, error: `${(e as NodeJS.ErrnoException).code ?? 'error'}: ${errorMessage(e)}` };
  }
  const unique = [...new Map(nodes.map((n) => [nodeLabel(n), n])).entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
  return { nodes: unique.slice(0, t.maxNodes).map(([, n]) => n), found: unique.length };
}
