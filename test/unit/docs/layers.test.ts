// CONTRIBUTING.md's picture of src/ against the imports the code has: each folder imports exactly
// the folders its `-> ...` names (or nothing, where it says so), only folders below it, and the
// producers stay apart from what renders their results.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoPath } from '../../support/deploy/lib.js';

interface Layer { folders: string[]; imports: string[] }

/** The picture's folders top to bottom, each with the folders it says it imports. */
function picture(): Layer[] {
  const text = readFileSync(repoPath('CONTRIBUTING.md'), 'utf8');
  const lines = text.slice(text.indexOf('    cli/'), text.indexOf('    bpf/')).split('\n');
  const layers: (Layer & { said: boolean })[] = [];
  for (const line of lines) {
    const head = /\+--> ((?:[a-z0-9-]+\/ )*[a-z0-9-]+\/)/.exec(line);
    if (head) layers.push({ folders: head[1]!.split(' ').map((f) => f.replace(/\/$/, '')), imports: [], said: false });
    const cur = layers.at(-1);
    if (!cur) continue;
    // the dependency list is set off from the prose by two spaces or more
    const deps = /\s{2,}-> ([a-z0-9, ]+)$/.exec(line);
    if (deps) Object.assign(cur, { imports: deps[1]!.split(',').map((d) => d.trim()), said: true });
    if (/imports? nothing\s*$/.test(line)) cur.said = true;
  }
  for (const l of layers) assert.ok(l.said, `CONTRIBUTING.md: ${l.folders.join(', ')} says neither "-> ..." nor "imports nothing"`);
  return layers;
}

function sourcesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'));
}

/** The src/ folders a folder's files import (relative imports that leave the folder). */
function importsOf(folder: string): { folders: Set<string>; packages: Set<string> } {
  const folders = new Set<string>();
  const packages = new Set<string>();
  for (const src of sourcesOf(repoPath('src', folder))) {
    for (const [, spec] of src.matchAll(/\bfrom '([^']+)'/g)) {
      const inSrc = /^(?:\.\.\/)+([a-z0-9-]+)\//.exec(spec!);
      if (inSrc && inSrc[1] !== folder) folders.add(inSrc[1]!);
      else if (!spec!.startsWith('.') && !spec!.startsWith('node:')) packages.add(spec!);
    }
  }
  return { folders, packages };
}

test("CONTRIBUTING.md's picture of src/ is the code's: every folder, what each imports, nothing upwards", () => {
  const layers = picture();
  const pictured = layers.flatMap((l) => l.folders);
  const folders = readdirSync(repoPath('src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  // cli/ is the composition root above the picture: it may import any of them
  assert.deepEqual([...pictured, 'cli'].sort(), folders.sort(), 'the folders pictured');
  layers.forEach((layer, i) => {
    const below = new Set(layers.slice(i + 1).flatMap((l) => l.folders));
    for (const folder of layer.folders) {
      const actual = [...importsOf(folder).folders].sort();
      assert.deepEqual(actual, [...layer.imports].sort(), `${folder}/ imports exactly what CONTRIBUTING.md says`);
      for (const d of actual) assert.ok(below.has(d), `${folder}/ imports ${d}/, which is not below it`);
    }
  });
});

test('the producers stay apart: server/ imports no probes/ or ebpf/, ebpf/ no metrics/ or prom-client', () => {
  const server = importsOf('server');
  const ebpf = importsOf('ebpf');
  for (const f of ['probes', 'ebpf']) assert.equal(server.folders.has(f), false, `server/ imports ${f}/`);
  assert.equal(ebpf.folders.has('metrics'), false, 'ebpf/ imports metrics/');
  assert.equal(ebpf.packages.has('prom-client'), false, 'ebpf/ imports prom-client');
});
