// testRgw() without the environment `npm test` sets up: it says how to run the tests. The RGW
// scripts themselves (extra clusters, reuse, restart): test/support/rgw.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testRgw } from '../../support/rgw.js';

test('testRgw() explains how to run the tests when the environment is missing', () => {
  const saved = process.env.S3PROBER_TEST_ENDPOINT;
  delete process.env.S3PROBER_TEST_ENDPOINT;
  try {
    assert.throws(() => testRgw(), /run the tests via `npm test`/);
  } finally {
    // assigning undefined would store the string "undefined"
    if (saved !== undefined) process.env.S3PROBER_TEST_ENDPOINT = saved;
  }
});
