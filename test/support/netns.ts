// A network namespace joined to the host by a veth pair, for faults below HTTP: a server inside
// it can be black-holed (SYNs dropped: connect timeouts, not refusals) or rate-limited (tbf).
// netem is not available on these kernels; latency comes from the fault proxy instead.
// Everything (namespace, veth, qdiscs, rules, processes) goes away in destroy() or at exit.
import { execFile, spawnSync, type SpawnOptions } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { atExit } from './exit.js';
import { spawnProc, type Proc } from './proc.js';

const run = promisify(execFile);

export interface NetNs {
  name: string;
  /** veth end on the host side, and its address. */
  hostIf: string;
  hostIp: string;
  /** veth end inside the namespace, and its address (servers inside listen here). */
  nsIf: string;
  nsIp: string;
  /** Run a command inside the namespace to completion. */
  exec(cmd: string, args?: string[]): Promise<{ stdout: string; stderr: string }>;
  /** Start a long-running process inside the namespace; killed by pid in destroy(). */
  spawn(cmd: string, args?: string[], opts?: SpawnOptions): Proc;
  /** Drop every TCP packet arriving in the namespace: connects hang instead of being refused. */
  blackhole(on: boolean): Promise<void>;
  /** Limit both directions to kbit/s with tbf; null removes the limit. */
  rateLimit(kbit: number | null): Promise<void>;
  destroy(): Promise<void>;
}

const live = new Map<string, string>(); // namespace -> host veth
let hooked = false;

const ip = (...args: string[]) => run('ip', args);

export async function createNetNs(): Promise<NetNs> {
  if (!hooked) {
    hooked = true;
    atExit(() => {
      for (const [ns, hostIf] of live) {
        spawnSync('ip', ['link', 'del', hostIf], { stdio: 'ignore' });
        spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      }
    });
  }
  const id = randomBytes(3).toString('hex');
  const name = `s3p-${id}`, hostIf = `s3ph${id}`, nsIf = `s3pn${id}`;
  // A random /30 in 10.213.0.0/16, so namespaces of concurrent test runs do not collide.
  const net = randomInt(0, 16384) * 4;
  const hostIp = `10.213.${net >> 8}.${(net & 255) + 1}`, nsIp = `10.213.${net >> 8}.${(net & 255) + 2}`;
  const procs = new Set<Proc>();
  const inNs = (cmd: string, args: string[]) => run('ip', ['netns', 'exec', name, cmd, ...args]);

  live.set(name, hostIf);
  try {
    await ip('netns', 'add', name);
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    await ip('link', 'set', nsIf, 'netns', name);
    await ip('addr', 'add', `${hostIp}/30`, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await inNs('ip', ['addr', 'add', `${nsIp}/30`, 'dev', nsIf]);
    await inNs('ip', ['link', 'set', nsIf, 'up']);
    await inNs('ip', ['link', 'set', 'lo', 'up']);
  } catch (err) {
    await destroy();
    throw new Error(`could not create network namespace ${name} (needs root): ${(err as Error).message}`);
  }

  async function destroy() {
    for (const p of procs) await p.kill('SIGKILL');
    await ip('link', 'del', hostIf).catch(() => undefined); // takes its peer and both qdiscs with it
    await ip('netns', 'del', name).catch(() => undefined);
    live.delete(name);
  }

  async function tbf(dev: string, inside: boolean, kbit: number | null) {
    const exec = inside ? (a: string[]) => inNs('tc', a) : (a: string[]) => run('tc', a);
    await exec(['qdisc', 'del', 'dev', dev, 'root']).catch(() => undefined); // none yet is fine
    if (kbit !== null) {
      const burst = Math.max(1600, Math.ceil((kbit * 1000) / 8 / 100)); // ~10 ms of traffic
      await exec(['qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', String(burst), 'latency', '1s']);
    }
  }

  return {
    name, hostIf, hostIp, nsIf, nsIp, destroy,
    exec: (cmd, args = []) => inNs(cmd, args),
    spawn(cmd, args = [], opts = {}) {
      const p = spawnProc('ip', ['netns', 'exec', name, cmd, ...args], opts); // ip execs cmd: same pid
      procs.add(p);
      void p.exited.then(() => procs.delete(p));
      return p;
    },
    async blackhole(on) {
      await inNs('iptables', [on ? '-I' : '-D', 'INPUT', '-i', nsIf, '-p', 'tcp', '-j', 'DROP']);
    },
    async rateLimit(kbit) {
      await tbf(hostIf, false, kbit);
      await tbf(nsIf, true, kbit);
    },
  };
}
