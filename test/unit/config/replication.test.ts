// The top-level `replication` list: defaults, the rules across targets (they exist and differ,
// names are unique, the bucket is none a sweep empties nor a durable set's), bounds; the polls'
// back-off costs a handful of requests for a lag of minutes; README states the figures the code has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import {
  DEFAULT_MAX_IN_FLIGHT, DEFAULT_REPLICATION_TIMEOUT_MS, MAX_IN_FLIGHT_LIMIT, MAX_REPLICATION_TIMEOUT_MS, POLL_FIRST_MS, POLL_MAX_MS,
} from '../../../src/config/replication.js';
import { formatBytes } from '../../../src/config/units.js';
import { pollDelay, REPLICATION_OBJECT_SIZE, sweepAgeMs } from '../../../src/probes/replication.js';
import { REPO_ROOT } from '../../support/rgw.js';
import { configError } from './parse.js';

const env = { SECRET: 'topsecretvalue' };
const target = (name: string, more = '') => `
  - name: ${name}
    endpoint: https://${name}.example.com
    credentials: { accessKeyId: AKIAEXAMPLE, secretAccessKey: "\${SECRET}" }
${more.replace(/^(?=.)/gm, '    ')}`;
const config = (replication: string, targets = target('eu') + target('us')) => `targets:${targets}\nreplication:\n${replication}`;
const pair = (more = '') => `  - { name: eu-to-us, source: eu, destination: us, bucket: s3prober-replicated${more} }`;

test('none unless configured; defaults', () => {
  assert.deepEqual(parseConfig(`targets:${target('eu')}`, env).replication, []);
  const [r] = parseConfig(config(pair()), env).replication;
  assert.deepEqual(r, {
    name: 'eu-to-us', source: 'eu', destination: 'us', bucket: 's3prober-replicated',
    timeout: DEFAULT_REPLICATION_TIMEOUT_MS, keyPrefix: 's3prober/', maxInFlight: DEFAULT_MAX_IN_FLIGHT,
  });
  assert.equal(parseConfig(config(pair(', timeout: 90s, maxInFlight: 7')), env).replication[0]!.timeout, 90_000);
});

test('targets that exist and differ, unique names, bounds, strict keys', () => {
  assert.match(configError(config(pair().replace('source: eu', 'source: asia'))), /replication\.0\.source: no target is named "asia" \(targets: eu, us\)/);
  assert.match(configError(config(pair().replace('destination: us', 'destination: mars'))), /replication\.0\.destination: no target is named "mars"/);
  assert.match(configError(config(pair().replace('destination: us', 'destination: eu'))), /replication\.0\.destination: the same target as the source/);
  assert.match(configError(config(`${pair()}\n${pair()}`)), /replication\.1\.name: duplicate replication name "eu-to-us"/);
  assert.match(configError(config(pair(', timeout: 25h'))), /replication\.0\.timeout: at most 24h/);
  assert.ok(MAX_REPLICATION_TIMEOUT_MS === 24 * 3_600_000);
  assert.match(configError(config(pair(', timeout: soon'))), /replication\.0\.timeout: expected a positive duration/);
  assert.match(configError(config(pair(`, maxInFlight: ${MAX_IN_FLIGHT_LIMIT + 1}`))), /replication\.0\.maxInFlight: /);
  assert.match(configError(config(pair(', maxinflight: 3'))), /replication\.0\.maxinflight: unknown key/);
  assert.match(configError(config(pair().replace('bucket: s3prober-replicated', 'bucket: Bad_Name'))), /replication\.0\.bucket: not a valid S3 bucket name/);
});

test('a bucket of its own: no fixed canary bucket, no name of the ephemeral buckets, no durable set', () => {
  const withBucket = (bucket: string, targets: string) => configError(config(pair().replace('s3prober-replicated', bucket), targets));
  assert.match(withBucket('canary', target('eu', 'bucket: { mode: fixed, name: canary }') + target('us')),
    /replication\.0\.bucket: the fixed canary bucket of target "eu", which sweeps empty/);
  assert.match(withBucket('probe-3f9a1c-20261121t114501z-a1b2c3', target('eu') + target('us', 'bucket: { mode: ephemeral, prefix: probe }')),
    /replication\.0\.bucket: named like the ephemeral canary buckets of target "us" \(probe-<tag>-<cycle id>\)/);
  // the default prefix is s3prober: a name like its buckets is refused, s3prober-replicated is not one
  assert.match(withBucket('s3prober-000000-20200101t000000z-000000', target('eu') + target('us')), /named like the ephemeral canary buckets of target "eu"/);
  assert.match(withBucket('lasting', target('eu', 'durability: { bucket: lasting }') + target('us')),
    /replication\.0\.bucket: the durable set's bucket of target "eu"/);
  const ok = parseConfig(config(pair().replace('s3prober-replicated', 'replicated')), env);
  assert.equal(ok.replication[0]!.bucket, 'replicated');
});

/** Polls until `ms` after the write (the first poll at or after it included). */
function pollsUntil(ms: number): number {
  let t = 0;
  let n = 0;
  while (t < ms) t += pollDelay(n++);
  return n;
}

test('the back-off: a lag of minutes costs a handful of polls, the wait never exceeds a minute', () => {
  assert.equal(pollDelay(0), POLL_FIRST_MS);
  assert.equal(pollDelay(40), POLL_MAX_MS);
  assert.ok(pollsUntil(5 * 60_000) <= 12, `${pollsUntil(5 * 60_000)} polls for 5 minutes`);
  assert.ok(sweepAgeMs({ timeout: 60_000 } as Parameters<typeof sweepAgeMs>[0]) > 2 * 60_000, 'a sweep never removes an object still followed');
});

test('README states the figures the code has', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  assert.ok(readme.includes(`maxInFlight: ${DEFAULT_MAX_IN_FLIGHT}          # 1 to ${MAX_IN_FLIGHT_LIMIT} objects`), 'maxInFlight default and bound');
  assert.ok(readme.includes(`writes one object of ${formatBytes(REPLICATION_OBJECT_SIZE)} at the source`), 'object size');
  const polls = `${pollsUntil(60_000)} polls for a lag of a minute, ${pollsUntil(5 * 60_000)} for five minutes, and ${pollsUntil(DEFAULT_REPLICATION_TIMEOUT_MS)} for an object that never\narrives within the default 15m timeout`;
  assert.ok(readme.includes(polls), `README says: ${polls}`);
});
