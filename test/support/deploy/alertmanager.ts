// A real Alertmanager with the example config on loopback, for the deploy tests (test/deploy/*,
// test/unit/deploy/*). Not a test file itself.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnProc, type Proc } from '../proc.js';
import { freePort } from '../rgw.js';
import { repoPath } from './lib.js';

export interface Alertmanager {
  url: string;
  proc: Proc;
}

/** Alertmanager with the example config: its webhook URLs pointed at `webhook` (a base URL),
 *  group_wait shortened to 1s; state in dir. */
export async function startAlertmanager(dir: string, webhook: string): Promise<Alertmanager> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = readFileSync(repoPath('deploy', 'alertmanager', 'alertmanager.yml'), 'utf8')
    .replaceAll('http://alert-receiver.example.internal:5001', webhook)
    .replace(/group_wait: \S+/, 'group_wait: 1s');
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  const proc = spawnProc('prometheus-alertmanager', [
    `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=',
  ]);
  await proc.waitForUrl(`${url}/-/ready`, 30_000);
  return { url, proc };
}
