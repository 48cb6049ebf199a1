// A real DNS server for the tests: dnsmasq (Debian's dnsmasq-base, scripts/setup.d/35-dns.sh) on a
// free loopback port, answering from a hosts file of its own. The system resolver is never touched:
// a target reaches it through its `resolver:` option. Records change between cycles by rewriting
// the file and SIGHUP (dnsmasq re-reads its hosts files on it); stopped by pid.
import { promises as dns } from 'node:dns';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnProc, type Proc } from './proc.js';
import { freePort } from './rgw.js';

/** Name -> its IPv4 addresses (A records). */
export type DnsRecords = Record<string, string[]>;

export interface TestDns {
  /** "127.0.0.1:PORT": a target's `resolver`. */
  address: string;
  port: number;
  proc: Proc;
  /** Replace every record; resolves once dnsmasq answers with them. */
  setRecords(records: DnsRecords): Promise<void>;
  /** Stop dnsmasq (TERM by pid) and remove its files. Idempotent. */
  stop(): Promise<void>;
}

/** The zone dnsmasq answers alone (`--local`): an unknown name there is NXDOMAIN and a name without
 *  AAAA records NODATA, never REFUSED for want of an upstream server. */
const TEST_ZONE = 'test';

function hostsFile(records: DnsRecords): string {
  return Object.entries(records).flatMap(([name, ips]) => ips.map((ip) => `${ip} ${name}\n`)).join('');
}

/** What the server answers now for name's A records (empty: no records). */
async function answer(port: number, name: string): Promise<string[]> {
  const r = new dns.Resolver({ timeout: 1000, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  return (await r.resolve4(name).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOTFOUND' || e.code === 'ENODATA') return [];
    throw e;
  })).sort();
}

async function answering(port: number, records: DnsRecords, proc: Proc): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    const got = await Promise.all(Object.entries(records).map(async ([name, ips]) =>
      JSON.stringify(await answer(port, name).catch(() => undefined)) === JSON.stringify([...ips].sort())));
    if (got.every(Boolean)) return;
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`dnsmasq exited:\n${proc.output().slice(-2000)}`);
    if (Date.now() > end) throw new Error(`dnsmasq never answered ${JSON.stringify(records)}:\n${proc.output().slice(-2000)}`);
    await sleep(50);
  }
}

/** port: where to listen (a restart at the address a target was given); default a free one. */
export async function startDns(records: DnsRecords, opts: { port?: number } = {}): Promise<TestDns> {
  for (const name of Object.keys(records)) {
    if (!name.endsWith(`.${TEST_ZONE}`)) throw new Error(`test DNS: ${name} is not under .${TEST_ZONE}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 's3prober-dns-'));
  // dnsmasq started as root drops to its own user before it reads the hosts file (also on SIGHUP)
  await chmod(dir, 0o755);
  const file = join(dir, 'hosts');
  const write = async (r: DnsRecords) => {
    await writeFile(file, hostsFile(r));
    await chmod(file, 0o644);
  };
  await write(records);
  // the port was free for TCP a moment ago; dnsmasq needs it for UDP and TCP: a few tries
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? await freePort();
    const proc = spawnProc('dnsmasq', [
      '--keep-in-foreground', '--conf-file=/dev/null', '--pid-file=', '--log-facility=-',
      '--no-resolv', '--no-hosts', `--addn-hosts=${file}`, `--local=/${TEST_ZONE}/`, '--cache-size=0',
      '--listen-address=127.0.0.1', '--bind-interfaces', `--port=${port}`,
    ]);
    try {
      await answering(port, records, proc);
    } catch (e) {
      await proc.kill();
      if (opts.port === undefined && attempt < 5 && /Address already in use/.test(proc.output())) continue;
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    let stopped = false;
    return {
      address: `127.0.0.1:${port}`,
      port,
      proc,
      async setRecords(next) {
        await write(next);
        process.kill(proc.pid, 'SIGHUP');
        // names that were and are no more must be gone from the answers too
        const all = { ...Object.fromEntries(Object.keys(records).map((n) => [n, [] as string[]])), ...next };
        await answering(port, all, proc);
        records = next;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await proc.kill();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
}
