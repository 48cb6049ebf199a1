// proc.ts: output capture, waiting for a line or URL, and kill-by-pid with escalation.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runProc, spawnProc } from '../../support/proc.js';
import { freePort } from '../../support/rgw.js';

const gone = (pid: number) => {
  try { return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z'; } catch { return true; }
};

test('waitForLine sees output, kill() ends the process by pid', async () => {
  const p = spawnProc('bash', ['-c', 'echo starting; sleep 0.1; echo "listening on 1234" >&2; sleep 60']);
  assert.equal(await p.waitForLine(/listening on (\d+)/), 'listening on 1234');
  assert.equal(p.stdout(), 'starting\n');
  const r = await p.kill();
  assert.equal(r.signal, 'SIGTERM');
  assert.ok(gone(p.pid));
});

test('kill() escalates to SIGKILL when SIGTERM is ignored', async () => {
  const p = spawnProc('bash', ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done']);
  await p.waitForLine('ready');
  const t = performance.now();
  const r = await p.kill('SIGTERM', 300);
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(performance.now() - t >= 290);
});

test('waitForLine rejects with the output when the process exits first', async () => {
  const p = spawnProc('bash', ['-c', 'echo "fatal: bad config" >&2; exit 2']);
  await assert.rejects(p.waitForLine('never printed'), /exited before printing[\s\S]*fatal: bad config/);
  assert.equal((await p.exited).code, 2);
});

test('waitForUrl waits for a real server', async () => {
  const port = await freePort();
  const server = http.createServer((_req, res) => res.end('ok'));
  const p = spawnProc('bash', ['-c', 'sleep 60']);
  try {
    const listening = sleep(300).then(() => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)));
    const t = performance.now();
    await p.waitForUrl(`http://127.0.0.1:${port}/`, 5000);
    assert.ok(performance.now() - t >= 290, 'answered only once the server listened');
    await listening;
  } finally {
    await p.kill();
    server.close();
  }
  const dead = spawnProc('bash', ['-c', 'exit 0']);
  await assert.rejects(dead.waitForUrl('http://127.0.0.1:1/', 5000), /exited before/);
});

test('runProc returns code and output, and kills at its timeout', async () => {
  const ok = await runProc('bash', ['-c', 'echo out; echo err >&2; exit 3']);
  assert.deepEqual({ code: ok.code, stdout: ok.stdout, stderr: ok.stderr }, { code: 3, stdout: 'out\n', stderr: 'err\n' });
  const slow = await runProc('sleep', ['30'], { timeoutMs: 200 });
  assert.equal(slow.signal, 'SIGKILL');
});
