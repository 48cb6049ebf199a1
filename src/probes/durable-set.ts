// The objects of a durable set: each one's key and bytes follow from the target's key prefix, its
// name and an index alone, so any prober on any host verifies what another wrote, with no local
// database, and rewrites a lost one with the very bytes it had.
import { keyedContent } from './keyed-content.js';
import { durableKeyPrefix } from './naming.js';

/** The size of every durable object. */
export const DURABLE_OBJECT_SIZE = 4096;
/** How keys and bytes are derived: another derivation gets another version, a new set beside the old. */
const FORMAT = 'v1';
/** Indices are zero-padded in keys so that a listing's order is the indices' order. */
const INDEX_DIGITS = 6;

export class DurableSet {
  /** <keyPrefix>/durable/<target>/v1/: every key of the set, and nothing else, is under it. */
  readonly prefix: string;

  constructor(keyPrefix: string, target: string) {
    this.prefix = `${durableKeyPrefix(keyPrefix, target)}${FORMAT}/`;
  }

  key(index: number): string {
    return `${this.prefix}${String(index).padStart(INDEX_DIGITS, '0')}`;
  }

  /** The index a key of this set has; undefined for any other key. */
  index(key: string): number | undefined {
    if (!key.startsWith(this.prefix)) return undefined;
    const digits = key.slice(this.prefix.length);
    return new RegExp(`^\\d{${INDEX_DIGITS}}$`).test(digits) ? Number(digits) : undefined;
  }
}

/** The bytes of the object under `key`, seeded by the format and the key. */
export function durableContent(key: string): Buffer {
  return keyedContent(`s3prober durable ${FORMAT}`, key, DURABLE_OBJECT_SIZE);
}
