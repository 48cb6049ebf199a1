// The gzip body joined from kept parts: every decoder must read it as the text, whatever changed
// between two joins (a part replaced, a part before it replaced, fresh or empty parts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { crc32Combine, gzipOf, Part, textOf } from '../../../src/exposition/gzip-parts.js';

/** Exposition-like text: similar lines that differ in a label and a value. */
function lines(target: number, n: number, salt = 0): Buffer {
  let s = '';
  for (let i = 0; i < n; i++) s += `s3prober_operation_duration_seconds_bucket{target="t${target}",operation="GetObject",le="${i}"} ${(i * 7 + salt) % 1000}\n`;
  return Buffer.from(s);
}

/** Decodes with zlib and with the gzip binary (a decoder that is not Node's). */
function assertDecodes(gz: Buffer, text: Buffer): void {
  assert.ok(zlib.gunzipSync(gz).equals(text), 'zlib.gunzipSync');
  const cli = spawnSync('gzip', ['-dc'], { input: gz, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(cli.status, 0, String(cli.stderr));
  assert.ok(cli.stdout.equals(text), 'gzip -dc');
}

describe('gzip from parts', () => {
  test('crc32Combine equals the CRC of the joined bytes, empty and large parts included', () => {
    for (const [a, b] of [[0, 0], [1, 0], [0, 1], [5, 3], [1000, 70_000], [33_000, 1], [3, 1 << 20]] as const) {
      const x = randomBytes(a);
      const y = randomBytes(b);
      assert.equal(crc32Combine(zlib.crc32(x), zlib.crc32(y), b), zlib.crc32(Buffer.concat([x, y])), `${a} + ${b}`);
    }
  });

  test('joined parts decode to the joined text, through replacements of a part and of the one before it', () => {
    const header = new Part(Buffer.from('# HELP s3prober_operation_duration_seconds x\n# TYPE s3prober_operation_duration_seconds histogram\n'), true);
    const parts = [header, ...Array.from({ length: 40 }, (_, t) => new Part(lines(t, 1 + (t % 7) * 40)))];
    const first = gzipOf(parts);
    assertDecodes(first, textOf(parts));
    // compressed against the previous target's lines, nearly as small as one stream
    const whole = zlib.gzipSync(textOf(parts), { level: 1 }).length;
    assert.ok(first.length < whole * 1.15, `${first.length} bytes joined, ${whole} as one stream`);

    // a part changes: it and the part after it must follow the new text, the rest is kept
    parts[10] = new Part(lines(9, 300, 5));
    assertDecodes(gzipOf(parts), textOf(parts));
    // an empty part, a fresh part between kept ones, one part moved to the front
    parts[20] = new Part(Buffer.alloc(0));
    parts.splice(30, 0, new Part(Buffer.from('fresh line 1\nfresh line 2\n')));
    parts.unshift(parts.splice(25, 1)[0]!);
    assertDecodes(gzipOf(parts), textOf(parts));
    // nothing but empty parts, and no parts at all
    assertDecodes(gzipOf([new Part(Buffer.alloc(0))]), Buffer.alloc(0));
    assertDecodes(gzipOf([]), Buffer.alloc(0));
  });

  test('a part longer than the deflate window, after one longer than the window', () => {
    const parts = [new Part(lines(1, 2000)), new Part(lines(2, 3000)), new Part(Buffer.from('ünïcødé ✓\n'))];
    assert.ok(parts[0]!.text.length > 64 * 1024);
    assertDecodes(gzipOf(parts), textOf(parts));
  });
});
