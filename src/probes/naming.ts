// Names of what a cycle creates. They carry the creation time so that leftovers are recognisable
// (and their age known) by prefix alone, e.g. after a crash.
import { createHash, randomBytes } from 'node:crypto';

/** "20261121t114501z-a1b2c3": UTC time of the cycle plus randomness, valid in bucket names. */
export function cycleId(at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').toLowerCase();
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The creation time encoded in a cycle id (or in a name that contains one), if any. */
export function cycleTime(name: string): Date | undefined {
  const m = /(\d{8})t(\d{6})z-[0-9a-f]{6}/i.exec(name);
  if (!m) return undefined;
  const [d, t] = [m[1]!, m[2]!];
  const iso = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}Z`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** 6 hex characters naming the target inside bucket names (target names may not be valid there). */
function targetTag(target: string): string {
  return createHash('sha256').update(target).digest('hex').slice(0, 6);
}

/** <prefix>-<target tag>-: how every ephemeral bucket of the target begins. */
export function ownBucketPrefix(prefix: string, target: string): string {
  return `${prefix}-${targetTag(target)}-`;
}

/** <prefix>-<target tag>-<cycle id>: at most 30 + 1 + 6 + 1 + 23 = 61 characters. Each target
 *  recognises (and sweeps) only its own buckets, even when several share an endpoint and prefix. */
export function ephemeralBucketName(prefix: string, target: string, id: string): string {
  return `${ownBucketPrefix(prefix, target)}${id}`;
}

const withSlash = (keyPrefix: string) => (keyPrefix.endsWith('/') ? keyPrefix : `${keyPrefix}/`);

/** Where all of a target's keys live: <keyPrefix>/<target>/ (the sweep's scope in a fixed bucket). */
export function targetKeyPrefix(keyPrefix: string, target: string): string {
  return `${withSlash(keyPrefix)}${target}/`;
}

/** Where a target's durable set lives: <keyPrefix>/durable/<target>/, in the set's own bucket, which
 *  no sweep empties (durable-set.ts has the keys under it). */
export function durableKeyPrefix(keyPrefix: string, target: string): string {
  return `${withSlash(keyPrefix)}durable/${target}/`;
}

/** Key prefix of one cycle: <keyPrefix>/<target>/<cycle id>/ */
export function cycleKeyPrefix(keyPrefix: string, target: string, id: string): string {
  return `${targetKeyPrefix(keyPrefix, target)}${id}/`;
}

/** Where a replication's objects live: <keyPrefix>/replication/<name>/, in its bucket at both sides
 *  (replication.ts has the keys under it). */
export function replicationKeyPrefix(keyPrefix: string, name: string): string {
  return `${withSlash(keyPrefix)}replication/${name}/`;
}
