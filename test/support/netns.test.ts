// netns.ts: a server inside a namespace is reachable, can be black-holed and rate-limited, and
// destroy() leaves no namespace, link or process behind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { createNetNs, type NetNs } from './netns.js';
import { spawnProc, type Proc } from './proc.js';

const SERVER = `require('http').createServer((q, s) => s.end(Buffer.alloc(65536, 7)))
  .listen(8080, process.argv[1], () => console.log('listening'))`;
let ns: NetNs;
let server: Proc;

before(async () => {
  ns = await createNetNs();
  server = ns.spawn(process.execPath, ['-e', SERVER, ns.nsIp]);
  await server.waitForLine('listening');
});
after(async () => { await ns.destroy(); });

async function timedGet(): Promise<number> {
  const t = performance.now();
  const r = await fetch(`http://${ns.nsIp}:8080/`, { signal: AbortSignal.timeout(10_000) });
  assert.equal((await r.arrayBuffer()).byteLength, 65536);
  return performance.now() - t;
}

function connect(timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: ns.nsIp, port: 8080 });
    s.setTimeout(timeoutMs, () => { s.destroy(); resolve('timeout'); });
    s.on('connect', () => { s.destroy(); resolve('connected'); });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

test('a server inside the namespace is reachable from the host', async () => {
  assert.ok((await timedGet()) < 1000);
  assert.equal(await connect(1000), 'connected');
});

test('blackhole turns connects into timeouts, and is reversible', async () => {
  await ns.blackhole(true);
  assert.equal(await connect(300), 'timeout');
  await ns.blackhole(false);
  assert.equal(await connect(1000), 'connected');
});

test('rateLimit slows a transfer to the configured rate, and is removable', async () => {
  await ns.rateLimit(512); // 64 KiB at 512 kbit/s is ~1 s
  const slow = await timedGet();
  await ns.rateLimit(null);
  const fast = await timedGet();
  assert.ok(slow >= 800 && slow < 5000, `limited transfer took ${slow} ms`);
  assert.ok(fast < 300, `unlimited transfer took ${fast} ms`);
});

const state = (pid: number) => { try { return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]; } catch { return 'gone'; } };

test('destroy removes the namespace, the link and the processes inside', async () => {
  const other = await createNetNs();
  const p = other.spawn('sleep', ['60']);
  await other.destroy();
  assert.ok(['gone', 'Z'].includes(state(p.pid)!));
  assert.doesNotMatch(execFileSync('ip', ['netns', 'list']).toString(), new RegExp(other.name));
  assert.doesNotMatch(execFileSync('ip', ['link']).toString(), new RegExp(other.hostIf));
});

test('a test process told to stop (SIGTERM, SIGINT) still removes its namespace and processes', async () => {
  const netnsJs = new URL('./netns.js', import.meta.url).href;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // a test file's process that made a namespace with a process inside, then is cancelled
    const child = spawnProc(process.execPath, ['--input-type=module', '-e', `
      const { createNetNs } = await import(${JSON.stringify(netnsJs)});
      const ns = await createNetNs();
      const p = ns.spawn('sleep', ['60']);
      console.log('READY', ns.name, ns.hostIf, p.pid);
      setInterval(() => {}, 1000);`]);
    const [, name, hostIf, pid] = (await child.waitForLine(/^READY /)).trim().split(' ');
    assert.match(execFileSync('ip', ['netns', 'list']).toString(), new RegExp(name!), 'made');
    child.child.kill(signal);
    const { code } = await child.exited;
    assert.equal(code, signal === 'SIGTERM' ? 143 : 130, `${signal}: the conventional exit code`);
    assert.doesNotMatch(execFileSync('ip', ['netns', 'list']).toString(), new RegExp(name!), `${signal}: namespace removed`);
    assert.doesNotMatch(execFileSync('ip', ['link']).toString(), new RegExp(hostIf!), `${signal}: link removed`);
    assert.ok(['gone', 'Z'].includes(state(Number(pid))!), `${signal}: the process inside was killed`);
  }
});
