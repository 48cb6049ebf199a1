// The logger's error serializers: whatever was thrown (an Error, a string, an object), a log line
// comes out, with secrets scrubbed, and the logger itself never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/log/logger.js';
import { registerSecret } from '../../../src/log/scrub.js';

function capture(): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { out.push(chunk.toString()); cb(); } });
  const logger = createLogger('info', sink);
  return { logger, lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('err and bug take any thrown value: Error, string, object; secrets scrubbed', () => {
  const secret = 'logger-test-secret-0123456789';
  registerSecret(secret);
  const { logger, lines } = capture();
  for (const key of ['err', 'bug']) {
    logger.warn({ [key]: Object.assign(new Error(`failed with ${secret}`), { code: 'EX' }) }, 'an Error');
    logger.warn({ [key]: `a string with ${secret}` }, 'a string');
    logger.warn({ [key]: { odd: secret } }, 'an object');
  }
  const got = lines();
  assert.equal(got.length, 6);
  for (const l of got) assert.doesNotMatch(JSON.stringify(l), new RegExp(secret));
  assert.deepEqual(got.map((l) => (l.err ?? l.bug) as { type: string }).map((x) => x.type), ['Error', 'string', 'object', 'Error', 'string', 'object']);
  assert.equal((got[0]!.err as { code: string }).code, 'EX');
  assert.match((got[3]!.bug as { stack: string }).stack, /at /);
});
