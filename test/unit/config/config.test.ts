// Config validation: good files normalise, bad ones name the key and say why (and never echo secrets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LISTEN } from '../../../src/config/listen.js';
import { parseConfig } from '../../../src/config/load.js';
import { parseDuration, parseSize } from '../../../src/config/units.js';
import { runProc } from '../../support/proc.js';
import { REPO_ROOT } from '../../support/rgw.js';
import { configError, minimal } from './parse.js';

test('a minimal config gets every documented default', () => {
  const c = parseConfig(minimal(), { SECRET: 'x'.repeat(20) });
  assert.equal(c.listen, DEFAULT_LISTEN);
  assert.equal(c.schedule, '*/30 * * * * *');
  assert.equal(c.timeout, 10_000);
  const t = c.targets[0]!;
  assert.deepEqual(t.bucket, { mode: 'ephemeral', prefix: 's3prober' });
  assert.deepEqual(t.objectSizes, [4096, 1048576, 6291456]);
  assert.equal(t.pathStyle, true);
  assert.equal(t.credentials && 'secretAccessKey' in t.credentials && t.credentials.secretAccessKey, 'x'.repeat(20));
});

test('units: sizes and durations', () => {
  assert.equal(parseSize('4KiB'), 4096);
  assert.equal(parseSize('1.5MB'), 1_500_000);
  assert.equal(parseSize('12 parsecs'), undefined);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('10'), undefined);
  assert.equal(parseDuration('5s garbage'), undefined);
});

test('bad values name the key and the reason', () => {
  const cases: [string, RegExp][] = [
    [minimal('schedule: "every tuesday"'), /schedule: not a valid cron expression/],
    [minimal('timeout: soon'), /timeout: expected a positive duration/],
    [minimal('listen: "nope"'), /listen: expected HOST:PORT/],
    [minimal('bogus: 1'), /\n {2}bogus: unknown key; known keys: listen, schedule, /],
    ['targets: []', /targets: at least one target is required/],
    [minimal().replace('https://s3.example.com', 'ftp://x'), /targets\.0\.endpoint: expected an http/],
    [minimal().replace('name: eu-1', 'name: "bad name!"'), /targets\.0\.name: 1-64 characters/],
    [minimal('', 'objectSizes: [4KiB, huge]'), /targets\.0\.objectSizes\.1: expected a size/],
    [minimal('', 'multipart: { threshold: 1MiB }'), /targets\.0\.multipart\.threshold: at least 5MiB: S3's smallest part/],
    [minimal('', 'labels: { "bad-name": x }'), /targets\.0\.labels\.bad-name: label name "bad-name" is not a valid/],
    [minimal('', 'labels: { operation: x }'), /label name "operation" is reserved/],
    [minimal('', 'bucket: { mode: fixed, name: "Bad_Bucket" }'), /targets\.0\.bucket\.name: not a valid S3 bucket name/],
    [minimal('jitter: later'), /jitter: expected a duration such as/],
    [minimal().replace('credentials: { accessKeyId: AKIAEXAMPLE, secretAccessKey: "${SECRET}" }', 'credentials: { accessKeyId: AKIAEXAMPLE }'), /targets\.0\.credentials\.secretAccessKey: required/],
    ['targets:\n  - name: a\n    endpoint: http://x\n    credentials: {source: default}\n  - name: a\n    endpoint: http://y\n    credentials: {source: default}', /targets\.1\.name: duplicate target name "a"/],
    ['targets: [unclosed', /invalid YAML/],
    ['- just\n- a list', /expected a YAML mapping/],
  ];
  for (const [text, re] of cases) assert.match(configError(text), re);
});

test('a missing ${VAR} is an error naming the key; secrets never appear in errors', () => {
  assert.match(configError(minimal(), {}), /targets\.0\.credentials\.secretAccessKey: environment variable SECRET is not set/);
  const msg = configError(minimal('timeout: nope'), { SECRET: 'topsecretvalue' });
  assert.doesNotMatch(msg, /topsecretvalue/);
  assert.equal(parseConfig(minimal('schedule: "${SCHED:-*/10 * * * * *}"'), { SECRET: 'x' }).schedule, '*/10 * * * * *');
});

test('ebpf.enabled from a ${VAR}: "true" and "false" are booleans, anything else is refused', () => {
  const cfg = minimal('ebpf: { enabled: "${EBPF}" }');
  assert.equal(parseConfig(cfg, { SECRET: 'x', EBPF: 'true' }).ebpf.enabled, true);
  assert.equal(parseConfig(cfg, { SECRET: 'x', EBPF: 'false' }).ebpf.enabled, false);
  assert.equal(configError(cfg, { SECRET: 'x', EBPF: 'yes' }), 'invalid config:\n  ebpf.enabled: expected true or false');
  assert.equal(configError(minimal('ebpf: { enabled: 1 }'), { SECRET: 'x' }), 'invalid config:\n  ebpf.enabled: expected true or false');
});

test('check-config CLI: exit 0 and redacted normalised config; exit 2 naming the key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 's3prober-cfg-'));
  try {
    const good = join(dir, 'good.yaml');
    // A password in the endpoint's URL is as secret as the keys.
    writeFileSync(good, minimal().replace('https://s3.example.com', 'https://probe:urlpassword@s3.example.com'));
    const cli = join(REPO_ROOT, 'dist/src/cli/main.js');
    const ok = await runProc(process.execPath, [cli, 'check-config', good], { env: { ...process.env, SECRET: 'topsecretvalue' } });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /secretAccessKey: "?\[REDACTED\]"?/);
    assert.match(ok.stdout, /objectSizes:\n\s+- 4096/);
    assert.match(ok.stdout, /endpoint: https:\/\/s3\.example\.com\n/);
    assert.doesNotMatch(ok.stdout + ok.stderr, /topsecretvalue|urlpassword/);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, minimal('timeout: forever'));
    const r = await runProc(process.execPath, [cli, 'check-config', bad], { env: { ...process.env, SECRET: 'topsecretvalue' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml: invalid config:\n\s+timeout: expected a positive duration/);
    assert.equal(r.stdout, '');

    const missing = await runProc(process.execPath, [cli, 'check-config', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.yaml: cannot read config: ENOENT/);

    // `run` with an invalid config never starts half a prober: exit 2 before listening.
    const run = await runProc(process.execPath, [cli, 'run', '--config', bad, '--listen', '127.0.0.1:0'], { env: { ...process.env, SECRET: 'x' }, timeoutMs: 20_000 });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /timeout: expected a positive duration/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
