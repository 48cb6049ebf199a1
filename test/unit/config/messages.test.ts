// What a new user meets first: missing keys, mistyped keys, unset variables, wrong units.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { DURATION_UNIT_NAMES, parseDuration, parseSize, SIZE_UNIT_NAMES } from '../../../src/config/units.js';
import { configError, minimal } from './parse.js';

test('a required key that is missing says it is required', () => {
  const cases: [string, string][] = [
    ['targets:\n  - name: a\n    credentials: { source: default }', 'targets.0.endpoint: required'],
    ['targets:\n  - name: a\n    endpoint: http://x', 'targets.0.credentials: required'],
    ['targets:\n  - endpoint: http://x\n    credentials: { source: default }', 'targets.0.name: required'],
    ['timeout: 5s', 'targets: required'],
    [minimal('', 'bucket: { prefix: abc }'), 'targets.0.bucket.mode: required'],
    [minimal('', 'bucket: { mode: fixed }'), 'targets.0.bucket.name: required'],
  ];
  for (const [text, line] of cases) assert.equal(configError(text), `invalid config:\n  ${line}`);
});

test('an unknown key is named, with the known key it nearly is, at every level of the schema', () => {
  const cases: [string, string, string][] = [
    // [level, config, the line expected]
    ['top level', minimal('targts: []'), 'targts: unknown key, did you mean "targets"?'],
    ['top level', minimal('LogLevel: info'), 'LogLevel: unknown key, did you mean "logLevel"?'],
    ['targets', minimal('', 'endpiont: https://s3.example.com'), 'targets.0.endpiont: unknown key, did you mean "endpoint"?'],
    ['tls', minimal('', 'tls: { insecureSkipVerfy: true }'), 'targets.0.tls.insecureSkipVerfy: unknown key, did you mean "insecureSkipVerify"?'],
    ['bucket (ephemeral)', minimal('', 'bucket: { mode: ephemeral, prefx: abc }'), 'targets.0.bucket.prefx: unknown key, did you mean "prefix"?'],
    ['multipart', minimal('', 'multipart: { partsize: 8MiB }'), 'targets.0.multipart.partsize: unknown key, did you mean "partSize"?'],
    ['ebpf', minimal('ebpf: { enable: false }'), 'ebpf.enable: unknown key, did you mean "enabled"?'],
    ['steps', minimal('', 'steps: { batchDelet: false }'), 'targets.0.steps.batchDelet: unknown key, did you mean "batchDelete"?'],
  ];
  for (const [level, text, line] of cases) assert.equal(configError(text), `invalid config:\n  ${line}`, level);

  // Credentials are one of two shapes: the one the keys meant is the one explained.
  const creds = (c: string) => `targets:\n  - name: a\n    endpoint: http://x\n    credentials: ${c}`;
  assert.equal(configError(creds('{ accessKeyId: AK, secretAccesKey: "${SECRET}" }')), [
    'invalid config:',
    '  targets.0.credentials.secretAccessKey: required',
    '  targets.0.credentials.secretAccesKey: unknown key, did you mean "secretAccessKey"?',
  ].join('\n'));
  assert.equal(configError(creds('{ sorce: default }')), [
    'invalid config:',
    '  targets.0.credentials.sorce: unknown key, did you mean "source"?',
    '  targets.0.credentials: expected {accessKeyId, secretAccessKey[, sessionToken]} or {source: default}',
  ].join('\n'));
  // A fixed bucket's keys are not an ephemeral one's: the near miss comes from the mode given.
  assert.match(configError(minimal('', 'bucket: { mode: fixed, nmae: canary }')), /\n {2}targets\.0\.bucket\.nmae: unknown key, did you mean "name"\?/);
  // No near miss: the known keys of that mapping, read from the schema.
  assert.equal(configError(minimal('', 'tls: { verify: true }')), 'invalid config:\n  targets.0.tls.verify: unknown key; known keys: caFile, insecureSkipVerify, serverName');
});

test('every unset ${VAR} is named in one error, each with its key path', () => {
  const text = [
    'targets:',
    '  - name: a',
    '    endpoint: http://${HOST}:${PORT}',
    '    credentials: { accessKeyId: "${KEY}", secretAccessKey: "${SECRET}" }',
    '    region: ${REGION:-eu-west-1}',
  ].join('\n');
  assert.equal(configError(text, { PORT: '9000' }), [
    '3 environment variables are not set:',
    '  targets.0.endpoint: environment variable HOST is not set',
    '  targets.0.credentials.accessKeyId: environment variable KEY is not set',
    '  targets.0.credentials.secretAccessKey: environment variable SECRET is not set',
  ].join('\n'));
  const c = parseConfig(text, { HOST: 'h', PORT: '9000', KEY: 'k', SECRET: 's' });
  assert.equal(c.targets[0]!.endpoint, 'http://h:9000');
  assert.equal(c.targets[0]!.region, 'eu-west-1');
});

test('size and duration errors list the accepted units, and every unit listed is accepted', () => {
  const sizeError = configError(minimal('', 'objectSizes: [4 parsecs]'));
  for (const u of SIZE_UNIT_NAMES) {
    assert.match(sizeError, new RegExp(`\\b${u}\\b`), `size error lists ${u}`);
    assert.ok(parseSize(`1${u}`)! >= 1, u);
  }
  const durationError = configError(minimal('timeout: 3 fortnights'));
  for (const u of DURATION_UNIT_NAMES) {
    assert.match(durationError, new RegExp(`\\b${u}\\b`), `duration error lists ${u}`);
    assert.ok(parseDuration(`2${u}`)! > 0, u);
  }
  assert.match(durationError, /^invalid config:\n {2}timeout: expected a positive duration such as "10s"/);
});
