// Shards: N processes over one config, each probing the targets whose name hashes to its index.
// The hash is Prometheus' relabel `hashmod` (MD5 of the value, its last 8 bytes as a big-endian
// unsigned 64-bit integer, modulo N), so a scrape config can shard by target name the same way.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from './schema.js';

export interface Shard {
  index: number;
  count: number;
}

/** The index word that reads a StatefulSet pod's ordinal from its host name (`NAME-N`). */
const ORDINAL = 'ordinal';
/** How --shard and S3PROBER_SHARD are written, for help texts and errors. */
export const SHARD_SYNTAX = `INDEX/COUNT (0 <= INDEX < COUNT), or ${ORDINAL}/COUNT for a StatefulSet pod's ordinal`;

export class ShardSpecError extends Error {
  constructor(spec: string, why: string) {
    super(`${JSON.stringify(spec)}: ${why}; expected ${SHARD_SYNTAX}`);
    this.name = 'ShardSpecError';
  }
}

const COUNT_LIMIT = 10_000;

/** Parses INDEX/COUNT or ordinal/COUNT; `host` is the host name the ordinal is read from. */
export function parseShard(spec: string, host: string = process.env.HOSTNAME || hostname()): Shard {
  const m = /^\s*([^/\s]+)\s*\/\s*([^/\s]+)\s*$/.exec(spec);
  if (!m) throw new ShardSpecError(spec, 'not of the form INDEX/COUNT');
  const count = wholeNumber(m[2]!);
  if (count === undefined || count < 1 || count > COUNT_LIMIT) throw new ShardSpecError(spec, `COUNT must be a whole number from 1 to ${COUNT_LIMIT}`);
  let index: number | undefined;
  if (m[1] === ORDINAL) {
    const ord = /-(\d+)$/.exec(host);
    if (!ord) throw new ShardSpecError(spec, `the host name ${JSON.stringify(host)} does not end in -N (a StatefulSet pod's ordinal)`);
    index = Number(ord[1]);
    if (index >= count) throw new ShardSpecError(spec, `pod ordinal ${index} (host ${host}) is not below COUNT ${count}: run at most ${count} replicas, or raise COUNT`);
    return { index, count };
  }
  index = wholeNumber(m[1]!);
  if (index === undefined) throw new ShardSpecError(spec, `INDEX must be a whole number or "${ORDINAL}"`);
  if (index >= count) throw new ShardSpecError(spec, `INDEX must be below COUNT (shards are numbered from 0)`);
  return { index, count };
}

function wholeNumber(s: string): number | undefined {
  return /^\d{1,6}$/.test(s) ? Number(s) : undefined;
}

/** The shard a target name falls in out of `count`: Prometheus' hashmod of the name. */
export function shardOf(name: string, count: number): number {
  const digest = createHash('md5').update(name, 'utf8').digest();
  return Number(digest.readBigUInt64BE(8) % BigInt(count));
}

export function inShard(name: string, shard: Shard): boolean {
  return shardOf(name, shard.count) === shard.index;
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** A loaded config narrowed to a shard: its targets, and the replications whose source is one of
 *  them (a replication runs after its source's round; its destination may be another shard's). */
export function narrowToShard(loaded: Config, shard: Shard | undefined): Config {
  if (!shard) return loaded;
  return { ...loaded, targets: loaded.targets.filter((t) => inShard(t.name, shard)), replication: loaded.replication.filter((r) => inShard(r.source, shard)) };
}
