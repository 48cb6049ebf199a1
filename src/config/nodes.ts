// Every node behind an endpoint: which addresses a target probes one by one, and their bounds.
import { isIP } from 'node:net';
import { z } from 'zod';

/** Nodes a target probes unless told otherwise, and the most it may be told: each node is a set
 *  of series, so the config sets the cardinality, never DNS. */
export const DEFAULT_MAX_NODES = 16;
export const MAX_NODES_LIMIT = 64;
/** A node gone from DNS keeps its series this long (a flapping record does not churn series). */
export const DEFAULT_NODE_GRACE_MS = 10 * 60_000;

/** One address behind the endpoint: what its requests connect to while keeping the endpoint's name. */
export interface NodeAddress {
  host: string;
  port: number;
}

/** The `node` label value: address:port, IPv6 in brackets. */
export function nodeLabel(n: NodeAddress): string {
  return `${isIP(n.host) === 6 ? `[${n.host}]` : n.host}:${n.port}`;
}

/** "10.0.0.11", "10.0.0.12:8443", "[::1]:7480", "gw1.example.com"; the port defaults to the endpoint's. */
export function parseNode(s: string, defaultPort: number): NodeAddress | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(s.trim());
  if (!m) return undefined;
  const host = m[1] ?? m[2]!;
  if (m[1] !== undefined && isIP(host) !== 6) return undefined;
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  return port >= 1 && port <= 65535 ? { host, port } : undefined;
}

/** The endpoint's port: explicit, else the scheme's. */
export function endpointPort(endpoint: string): number {
  const u = new URL(endpoint);
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

const nodeEntry = z.string().refine((s) => parseNode(s, 1) !== undefined, {
  message: 'expected HOST or HOST:PORT, e.g. "10.0.0.11", "10.0.0.12:8443", "[fd00::1]:7480"',
});

/** `nodes: discover` (every A/AAAA address of the endpoint's host, each cycle) or a fixed list. */
export const nodesSchema = z.union([z.literal('discover'), z.array(nodeEntry).min(1).max(MAX_NODES_LIMIT)], {
  error: `expected "discover" or a list of HOST or HOST:PORT (at most ${MAX_NODES_LIMIT})`,
});

export const resolverSchema = z.string().refine((s) => parseNode(s, 53) !== undefined && isIP(parseNode(s, 53)!.host) !== 0, {
  message: 'expected the DNS server as IP or IP:PORT, e.g. "10.0.0.2" or "127.0.0.1:5353"',
});
