// URLs and lines of the config as they may be shown: no password, no query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { redactConfig, redactLine, redactUrl } from '../../../src/config/redact.js';

test('redactUrl drops user, password and query, and keeps the rest', () => {
  assert.equal(redactUrl('http://user:pa55@host:9000'), 'http://host:9000');
  assert.equal(redactUrl('https://user:pa55@s3.example.com/base/?X-Amz-Signature=abc'), 'https://s3.example.com/base');
  assert.equal(redactUrl('https://s3.example.com'), 'https://s3.example.com');
  assert.equal(redactUrl('not a url'), '');
});

test('redactConfig shows no secret: keys, session token, password in the endpoint', () => {
  const text = `targets:
  - name: a
    endpoint: http://probe:endpointpass@127.0.0.1:7480
    credentials: { accessKeyId: AKIDSHOWN, secretAccessKey: secretvalue, sessionToken: tokenvalue }`;
  const shown = JSON.stringify(redactConfig(parseConfig(text, {})));
  assert.doesNotMatch(shown, /endpointpass|secretvalue|tokenvalue/);
  assert.match(shown, /"endpoint":"http:\/\/127\.0\.0\.1:7480"/);
  assert.match(shown, /"accessKeyId":"AKIDSHOWN","secretAccessKey":"\[REDACTED\]","sessionToken":"\[REDACTED\]"/);
});

test('redactLine masks what follows a secret key and a password in a URL', () => {
  assert.equal(redactLine('    secretAccessKey: "abc'), '    secretAccessKey: [REDACTED]');
  assert.equal(redactLine('  credentials: { accessKeyId: AK, sessionToken: x }'), '  credentials: { accessKeyId: AK, sessionToken: [REDACTED]');
  assert.equal(redactLine('    endpoint: http://u:p4ss@host:1/'), '    endpoint: http://u:[REDACTED]@host:1/');
  assert.equal(redactLine('    region: eu-west-1'), '    region: eu-west-1');
});
