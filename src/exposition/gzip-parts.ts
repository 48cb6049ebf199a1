// An exposition as a list of parts, each compressed once and kept: a gzip body is then the parts'
// compressed bytes joined, not the whole text compressed anew per scrape (BENCHMARKS.md, scrape).
// Each part is raw deflate ended by a sync flush (byte-aligned, not final), so the parts join into
// one deflate stream; one gzip member wraps it, with the CRC-32 combined from the parts' own (a
// single member: not every client reads past the first). A part is compressed with the text before
// it as the dictionary, as the decompressor will have it: a target's series then compress against
// the previous target's, nearly as well as one whole stream would, and a changed part costs only
// itself and the part after it.
import zlib from 'node:zlib';

const WINDOW = 32 * 1024; // deflate's reach back

let nextId = 0;

/** The UTF-8 bytes of text that will be kept, in memory of their own. Buffer.from() puts a short
 *  text into a shared 8 KiB slab, and a part kept for hours then pins the whole slab. */
export function keptText(s: string): Buffer {
  const b = Buffer.allocUnsafeSlow(Buffer.byteLength(s));
  b.write(s);
  return b;
}

/** Text that does not change once made; its compressed form is kept for as long as the text
 *  before it stays the same. */
export class Part {
  readonly id = nextId++;
  private z: { after: number; data: Buffer } | undefined;
  private crcValue: number | undefined;

  /** standalone: compressed without the text before it (for a part that follows many others). */
  constructor(
    readonly text: Buffer,
    private readonly standalone = false,
  ) {}

  /** Raw deflate of the text where it follows `before` in the stream (undefined: at its start). */
  deflatedAfter(before: Part | undefined): Buffer {
    const prev = this.standalone ? undefined : before;
    const after = prev ? prev.id : -1;
    if (this.z?.after !== after) {
      const opts: zlib.ZlibOptions = { level: zlib.constants.Z_BEST_SPEED, finishFlush: zlib.constants.Z_SYNC_FLUSH };
      // as much of the text before as this part could use: the previous target's series are about
      // as long as this one's; a whole window of dictionary for a one-line part costs more than it saves
      if (prev) opts.dictionary = prev.text.subarray(-Math.min(WINDOW, Math.max(1024, this.text.length)));
      this.z = { after, data: zlib.deflateRawSync(this.text, opts) };
    }
    return this.z.data;
  }

  crc(): number {
    this.crcValue ??= zlib.crc32(this.text);
    return this.crcValue;
  }
}

/** Each non-empty part with the non-empty part before it: what it is compressed after. One walk
 *  for deflateAll() and gzipOf(), so that what is compressed ahead is what gzip asks for. */
function* chained(parts: readonly Part[]): Generator<[Part, Part | undefined]> {
  let prev: Part | undefined;
  for (const p of parts) {
    if (p.text.length === 0) continue;
    yield [p, prev];
    prev = p;
  }
}

/** Compresses each part where it follows the one before it, as gzipOf() will ask for it. */
export function deflateAll(parts: readonly Part[]): void {
  for (const [p, prev] of chained(parts)) p.deflatedAfter(prev);
}

const CRC_POLY = 0xedb88320; // CRC-32 (gzip), reflected

/** a(x) * b(x) modulo the CRC polynomial, both reflected (zlib's multmodp). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ CRC_POLY : b >>> 1;
  }
  return p >>> 0;
}

// X2N[k] = x^(2^k) modulo the polynomial
const X2N: number[] = [0x40000000];
for (let k = 1; k < 32; k++) X2N.push(multModP(X2N[k - 1]!, X2N[k - 1]!));

/** x^(8 * bytes) modulo the polynomial: what appending that many bytes does to a CRC. */
function shiftFor(bytes: number): number {
  let p = 0x80000000; // x^0
  let k = 3; // 8 = 2^3 bits a byte
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k++) if (n % 2) p = multModP(X2N[k & 31]!, p);
  return p;
}

/** CRC-32 of A followed by B, from CRC(A), CRC(B) and B's length (zlib's crc32_combine). */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModP(shiftFor(lengthB), crcA) ^ crcB) >>> 0;
}

// ID1 ID2, CM deflate, no flags, no mtime, no extra flags, OS unknown
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
// an empty final block (fixed Huffman, BFINAL=1): closes the joined deflate stream
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

export function textOf(parts: readonly Part[]): Buffer {
  return Buffer.concat(parts.map((p) => p.text));
}

export function gzipOf(parts: readonly Part[]): Buffer {
  const chunks: Buffer[] = [GZIP_HEADER];
  let crc = 0;
  let length = 0;
  for (const [p, prev] of chained(parts)) {
    chunks.push(p.deflatedAfter(prev));
    crc = crc32Combine(crc, p.crc(), p.text.length);
    length += p.text.length;
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  chunks.push(FINAL_BLOCK, trailer);
  return Buffer.concat(chunks);
}
