// A network namespace with a veth pair and a tc clsact ingress BPF filter that drops the first
// SYN of every connection to a port: loss without netem (not built into these kernels). A second
// port of the same server is never filtered. Everything is removed by close(), and by an exit
// hook if the test dies first.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atExit } from '../exit.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..');

// A connection is its source address and port and its initial sequence number: its retransmitted
// SYN repeats all three, and a later connection from a reused port has another ISN. The map
// counts the SYNs seen per connection: the first is dropped, the retransmit passes.
const DROP_SYN_C = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
char LICENSE[] SEC("license") = "GPL";
struct syn_key {
	__u32 saddr;
	__u32 seq;
	__u16 sport;
	__u16 pad;
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct syn_key);
	__type(value, __u32);
} syn_seen SEC(".maps");
SEC("tc")
int drop_first_syn(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(0x0800))
		return 0;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->protocol != 6)
		return 0;
	struct tcphdr *th = (void *)ip + ip->ihl * 4;
	if ((void *)(th + 1) > end)
		return 0;
	if (th->dest != bpf_htons(DROP_PORT) || !th->syn || th->ack)
		return 0; /* TC_ACT_OK */
	struct syn_key k = { .saddr = ip->saddr, .seq = th->seq, .sport = bpf_ntohs(th->source) };
	__u32 *n = bpf_map_lookup_elem(&syn_seen, &k);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return 0;
	}
	__u32 one = 1;
	bpf_map_update_elem(&syn_seen, &k, &one, BPF_NOEXIST);
	return 2; /* TC_ACT_SHOT */
}
`;

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

export interface LossyNamespace {
  name: string;
  /** Address of the server side, inside the namespace. */
  address: string;
  /** Every connection to this port loses its first SYN. */
  port: number;
  /** The same server, unfiltered. */
  cleanPort: number;
  /** SYNs the filter saw per connection's source port (a dropped first SYN counts): 2 = the
   *  first dropped, its retransmit let through. The kernel's own account of each connection. */
  synsByPort(): Map<number, number>;
  close(): void;
}

/** Creates the namespace, starts an HTTP server in it on `port` and `port + 1`, arms the SYN
 *  drop on `port`. */
export async function startLossyNamespace(port: number): Promise<LossyNamespace> {
  const id = process.pid % 100000;
  const name = `s3pebpf${id}`;
  const vh = `s3p${id}h`;
  const vn = `s3p${id}n`;
  const net = `10.${200 + (id % 50)}.${id % 250}`;
  const dir = mkdtempSync(join(tmpdir(), 's3prober-netns-'));
  let server: ChildProcess | undefined;
  const removeNet = () => {
    try { run('ip', ['netns', 'del', name]); } catch { /* not created */ }
    try { run('ip', ['link', 'del', vh]); } catch { /* went with the namespace */ }
  };
  const cleanup = () => {
    server?.kill('SIGKILL');
    removeNet();
    rmSync(dir, { recursive: true, force: true });
  };
  const forget = atExit(cleanup);
  const close = () => {
    forget();
    cleanup();
  };
  try {
    removeNet(); // leftovers of an earlier run with the same pid
    run('ip', ['netns', 'add', name]);
    run('ip', ['link', 'add', vh, 'type', 'veth', 'peer', 'name', vn]);
    run('ip', ['link', 'set', vn, 'netns', name]);
    run('ip', ['addr', 'add', `${net}.1/24`, 'dev', vh]);
    run('ip', ['link', 'set', vh, 'up']);
    const inNs = (...a: string[]) => run('ip', ['netns', 'exec', name, ...a]);
    inNs('ip', 'addr', 'add', `${net}.2/24`, 'dev', vn);
    inNs('ip', 'link', 'set', vn, 'up');
    inNs('ip', 'link', 'set', 'lo', 'up');
    writeFileSync(join(dir, 'drop.bpf.c'), DROP_SYN_C);
    run('clang', ['-O2', '-g', '-target', 'bpf', `-DDROP_PORT=${port}`, '-I', join(ROOT, 'bpf'), '-c', join(dir, 'drop.bpf.c'), '-o', join(dir, 'drop.bpf.o')]);
    inNs('tc', 'qdisc', 'add', 'dev', vn, 'clsact');
    inNs('tc', 'filter', 'add', 'dev', vn, 'ingress', 'bpf', 'da', 'obj', join(dir, 'drop.bpf.o'), 'sec', 'tc');
    // the server is another process, inside the namespace
    const script = `const h = (q, s) => { q.resume(); q.on('end', () => s.end('ok')); };`
      + `for (const p of [${port}, ${port + 1}]) require('http').createServer(h).listen(p, '${net}.2', () => console.log('listening', p));`;
    server = spawn('ip', ['netns', 'exec', name, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error('server in namespace did not start')), 10_000);
      let out = '';
      server!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.split('listening').length === 3) {
          clearTimeout(timer);
          res();
        }
      });
      server!.once('exit', (code) => rej(new Error(`server in namespace exited (${code})`)));
    });
    const synsByPort = () => synCounts(inNs('tc', '-j', 'filter', 'show', 'dev', vn, 'ingress'));
    return { name, address: `${net}.2`, port, cleanPort: port + 1, synsByPort, close };
  } catch (e) {
    close();
    throw e;
  }
}

/** Reads the filter's syn_seen map (bpftool, through the program tc attached). */
function synCounts(tcFilters: string): Map<number, number> {
  const progs = (JSON.parse(tcFilters) as Array<{ options?: { prog?: { id?: number } } }>).map((f) => f.options?.prog?.id).filter((id) => id !== undefined);
  if (progs.length !== 1) throw new Error(`expected one filter program, tc shows ${tcFilters}`);
  const prog = JSON.parse(run('bpftool', ['-j', 'prog', 'show', 'id', String(progs[0])])) as { map_ids?: number[] };
  for (const id of prog.map_ids ?? []) {
    const map = JSON.parse(run('bpftool', ['-j', 'map', 'show', 'id', String(id)])) as { name: string };
    if (map.name !== 'syn_seen') continue;
    const entries = JSON.parse(run('bpftool', ['-j', 'map', 'dump', 'id', String(id)])) as Array<{ formatted: { key: { sport: number }; value: number } }>;
    const bySport = new Map<number, number>();
    for (const e of entries) bySport.set(e.formatted.key.sport, (bySport.get(e.formatted.key.sport) ?? 0) + e.formatted.value);
    return bySport;
  }
  throw new Error('the SYN filter has no syn_seen map');
}

/** True while anything of this namespace is left on the machine. */
export function namespaceExists(name: string): boolean {
  return run('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === name);
}
