// The file's YAML: ${VAR} where YAML would not take it bare, and syntax errors shown where they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { configError } from './parse.js';

const flowCredentials = [
  'targets:',
  '  - name: a',
  '    endpoint: http://x',
  '    credentials: { accessKeyId: ${KEY}, secretAccessKey: ${SECRET} }',
].join('\n');

test('unquoted ${VAR} in a flow mapping works, and the values come through intact', () => {
  // A value YAML would read as syntax (": ", " #", quotes, braces) or as another reference.
  const secret = `a: b #c "d" 'e' {f} [g], \${KEY} \\n`;
  const c = parseConfig(flowCredentials, { KEY: 'AKIDKEY', SECRET: secret });
  assert.deepEqual(c.targets[0]!.credentials, { accessKeyId: 'AKIDKEY', secretAccessKey: secret });
});

test('references keep their meaning in every kind of scalar', () => {
  const text = [
    'targets:',
    '  - name: a',
    '    endpoint: "http://${HOST}:9000"',
    "    region: '${REGION:-it''s}'", // a default with a quote: left to YAML to unescape
    '    credentials:',
    '      accessKeyId: ${KEY:-default-key}',
    '      secretAccessKey: |-',
    '        ${SECRET}',
    '    labels: { team: ${TEAM:-a b c}, note: "${NOTE:-x}" }',
  ].join('\n');
  const c = parseConfig(text, { HOST: 'h', SECRET: 's#: "x"' });
  const t = c.targets[0]!;
  assert.equal(t.endpoint, 'http://h:9000');
  assert.equal(t.region, "it's");
  assert.deepEqual(t.credentials, { accessKeyId: 'default-key', secretAccessKey: 's#: "x"' });
  assert.deepEqual(t.labels, { team: 'a b c', note: 'x' });
});

test('a YAML syntax error quotes its line with a caret under the column', () => {
  // The reference before the error on the same line must not shift the caret.
  const bad = 'targets:\n  - { name: a, endpoint: ${ENDPOINT}, region: [eu }\n';
  const msg = configError(bad);
  const line = bad.split('\n')[1]!;
  const col = line.indexOf('}', line.indexOf('[eu'));
  assert.equal(msg, [
    `invalid YAML: ${msg.slice('invalid YAML: '.length, msg.indexOf(' at line'))} at line 2, column ${col + 1}:`,
    `    ${line}`,
    `    ${' '.repeat(col)}^`,
  ].join('\n'));
  assert.match(msg, /^invalid YAML: \S/, 'the parser says what is wrong');

  // An unclosed quote is shown at the end of the text, and the quoted line never shows a secret.
  const unclosed = configError(flowCredentials.replace('${SECRET}', '"literal-secret-value'));
  assert.match(unclosed, / at line 4, column \d+:\n {8}credentials: \{ accessKeyId: \$\{KEY\}, secretAccessKey: \[REDACTED\]\n {4} +\^$/);
  assert.doesNotMatch(unclosed, /literal-secret-value/);
});
