// `s3prober once` with a per-node target: a NODE column, each node's own rows and summary line, the
// exit code failing when one node fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI } from '../support/exporter.js';
import { startNodeProxies } from '../support/nodes.js';
import { runProc } from '../support/proc.js';
import { testRgw } from '../support/rgw.js';
import { targetYaml } from '../support/targets.js';

/** The table's rows by the left-aligned columns (cells span from their heading to the next one's;
 *  SIZE may be empty, so cells cannot be split on spaces). */
function table(stdout: string): Record<'NODE' | 'OPERATION' | 'RESULT' | 'REASON', string>[] {
  const lines = stdout.split('\n');
  const head = lines.find((l) => l.startsWith('TARGET'))!;
  const at = (h: string) => head.indexOf(` ${h}`) + 1;
  const cell = (l: string, from: string, to?: string) => l.slice(at(from), to ? at(to) : undefined).trim();
  return lines.filter((l) => l.startsWith('gw ') && !l.includes(': ')).map((l) => ({
    NODE: cell(l, 'NODE', 'OPERATION'), OPERATION: cell(l, 'OPERATION', 'SIZE'), RESULT: cell(l, 'RESULT', 'REASON'), REASON: cell(l, 'REASON'),
  }));
}

test('once with two nodes, one throttling: a row per node and operation, a summary per node, exit 1', async () => {
  const nodes = await startNodeProxies(['127.0.0.2', '127.0.0.3'], testRgw().endpoint);
  const [good, bad] = nodes.labels as [string, string];
  nodes.proxies.get('127.0.0.3')!.setFault({ kind: 'status', status: 503, match: { operation: 'CreateBucket' } });
  const dir = mkdtempSync(join(tmpdir(), 's3prober-once-nodes-'));
  try {
    writeFileSync(join(dir, 'c.yaml'), stringify({
      targets: [targetYaml({
        name: 'gw', endpoint: `http://s3.nodes.invalid:${nodes.port}`, objectSizes: ['4KiB'],
        extra: { bucket: { mode: 'ephemeral', prefix: 'nodes-once' }, batchSize: 2, nodes: ['127.0.0.2', '127.0.0.3'] },
      })],
    }));
    const r = await runProc(process.execPath, [CLI, 'once', '--config', join(dir, 'c.yaml')], { timeoutMs: 120_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^TARGET\s+NODE\s+OPERATION\s+SIZE\s+LATENCY\s+BYTES\s+RESULT\s+REASON$/m);
    const rows = table(r.stdout);
    const of = (node: string) => rows.filter((row) => row.NODE === node);
    assert.equal(rows.length, of(good).length + of(bad).length, 'every row names its node');

    const goodOps = new Set(of(good).map((row) => row.OPERATION));
    for (const op of ['CreateBucket', 'PutObject', 'HeadObject', 'GetObject', 'ListObjectsV2', 'DeleteObject', 'DeleteBucket']) assert.ok(goodOps.has(op), `${good} ${op}`);
    for (const row of of(good)) assert.equal(row.RESULT, 'success', JSON.stringify(row));

    const create = of(bad).find((row) => row.OPERATION === 'CreateBucket');
    assert.deepEqual([create?.RESULT, create?.REASON], ['failure', 'throttled (SlowDown 503)']);
    assert.ok(of(bad).some((row) => row.OPERATION === 'GetObject' && row.RESULT === 'skipped' && row.REASON === 'after CreateBucket'));

    assert.match(r.stdout, new RegExp(`^gw ${good}: success in \\d+ms, leftovers 0$`, 'm'));
    assert.match(r.stdout, new RegExp(`^gw ${bad}: FAILURE in \\d+ms`, 'm'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await nodes.close();
  }
});
