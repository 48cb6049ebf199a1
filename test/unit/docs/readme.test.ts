// README's metric, failure-reason and durability-reason tables against the one list of each: every
// family and every reason is documented, and nothing is documented that the exporter does not have.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { DEFAULT_LISTEN, DEFAULT_PORT } from '../../../src/config/listen.js';
import { ALL_METRIC_NAMES, TARGET_LEVEL_METRICS } from '../../../src/metrics/names.js';
import { DURABILITY_REASONS } from '../../../src/results/durability.js';
import { FAILURE_REASONS } from '../../../src/results/operations.js';
import { repoPath } from '../../support/deploy/lib.js';

const readme = readFileSync(repoPath('README.md'), 'utf8');

/** The first cell of every table row, split on commas, backticks removed. */
function firstCells(markdown: string): string[] {
  return markdown.split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => l.split('|')[1]!.split(',').map((c) => c.trim().replace(/`/g, '')));
}

/** The text of one section: from its heading to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has no "${heading}"`);
  const level = heading.split(' ')[0]!;
  const rest = readme.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^#{1,${level.length}} `, 'm'));
  return end < 0 ? rest : rest.slice(0, end);
}

test('README documents every s3prober metric family, and only those', () => {
  const documented = firstCells(readme).filter((c) => c.startsWith('s3prober_'));
  assert.deepEqual([...new Set(documented)].sort(), [...ALL_METRIC_NAMES].sort());
});

test("README's failure-reason table lists every reason, and only those", () => {
  assert.deepEqual(firstCells(section('### Failure reasons')).sort(), [...FAILURE_REASONS].sort());
});

test("README's durability reasons and the failure reasons together are every durability reason", () => {
  const documented = firstCells(section('### Durability reasons'));
  assert.deepEqual([...new Set([...documented, ...FAILURE_REASONS])].sort(), [...DURABILITY_REASONS].sort());
});

test("README's exit codes are the CLI's, each once", () => {
  const codes = section('## Commands').split('\n').flatMap((l) => /^\| (\d+) \|/.exec(l)?.[1] ?? []).map(Number);
  assert.deepEqual(codes, [...new Set(Object.values(EXIT))].sort());
});

test('README spells the default port as src/config/listen.ts has it, wherever it gives one', () => {
  assert.ok(section('### Default port').includes(`\`${DEFAULT_LISTEN}\``));
  const ports = [...readme.matchAll(/(?:localhost|0\.0\.0\.0|s3prober ):?(\d{4,5})\b|-p (\d{4,5}):\d/g)].map((m) => Number(m[1] ?? m[2]));
  assert.ok(ports.length >= 5, String(ports));
  const others = new Set([3000]); // Grafana's, in the compose stack
  for (const p of ports) assert.ok(p === DEFAULT_PORT || others.has(p), `README spells port ${p}`);
});

test("README names the families of a per-node target that carry no node label: the one list", () => {
  const nodes = section('### Every node behind an endpoint');
  const bullet = nodes.slice(nodes.indexOf('- The families of the target as a whole carry no `node`'));
  const listed = [...bullet.slice(0, bullet.indexOf('\n- ')).matchAll(/`(s3prober_[a-z_]+)`/g)].map((m) => m[1]!);
  assert.deepEqual([...listed].sort(), [...TARGET_LEVEL_METRICS].sort());
});
