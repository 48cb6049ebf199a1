// Bytes that follow from an object's key alone, so any prober on any host verifies what another
// wrote, with no local database: SHA-256 in counter mode, seeded by what the object is for and its key.
import { createHash } from 'node:crypto';

/** `size` bytes for `key`; `purpose` (with a format version) keeps the objects of two uses apart. */
export function keyedContent(purpose: string, key: string, size: number): Buffer {
  const seed = createHash('sha256').update(`${purpose}\n${key}`).digest();
  const out = Buffer.alloc(size);
  const counter = Buffer.alloc(4);
  for (let off = 0, block = 0; off < out.length; off += 32, block++) {
    counter.writeUInt32BE(block);
    // the last block is cut to what is left
    createHash('sha256').update(seed).update(counter).digest().copy(out, off);
  }
  return out;
}
