// Config texts and the error they raise, for the config tests.
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../../src/config/load.js';

/** One target; `extra` goes at the top level, `target` into the target (indented as a target key). */
export const minimal = (extra = '', target = '') => `
targets:
  - name: eu-1
    endpoint: https://s3.example.com
    region: eu-west-1
    credentials: { accessKeyId: AKIAEXAMPLE, secretAccessKey: "\${SECRET}" }
${target.replace(/^(?=.)/gm, '    ')}
${extra}`;

export function configError(text: string, env: NodeJS.ProcessEnv = { SECRET: 'topsecretvalue' }): string {
  try {
    parseConfig(text, env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail('expected a ConfigError');
}
