// How the exporter starts (npm start, the container's ENTRYPOINT, the installed command): through
// the CLI's own first line. Source, build, package.json and the Dockerfile all carry it; that it
// reaches the process and the exporter works under it: test/cli/start.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/rgw.js';
import { CLI, CLI_FIRST_LINE } from '../../support/exporter.js';

test('the CLI is executable and its first line (source and build) starts node with its memory settings', () => {
  accessSync(CLI, constants.X_OK);
  assert.equal(readFileSync(CLI, 'utf8').split('\n', 1)[0], CLI_FIRST_LINE);
  assert.equal(readFileSync(join(REPO_ROOT, 'src/cli/main.ts'), 'utf8').split('\n', 1)[0], CLI_FIRST_LINE);
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
  assert.equal(pkg.bin.s3prober, 'dist/src/cli/main.js');
  assert.match(pkg.scripts.start!, /^dist\/src\/cli\/main\.js run\b/, 'npm start runs the file, not `node file`');
  assert.match(readFileSync(join(REPO_ROOT, 'docker/Dockerfile'), 'utf8'), /^ENTRYPOINT \["\/app\/dist\/src\/cli\/main\.js"\]$/m);
});
