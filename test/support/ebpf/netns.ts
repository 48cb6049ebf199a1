// A network namespace with a veth pair and a tc clsact ingress BPF filter that drops the first
// SYN to a port: loss without netem (not built into these kernels). Everything is removed by
// close(), and by an exit hook if the test dies first.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..');

// Drops the first SYN (no ACK) to DROP_PORT that enters the namespace's veth.
const DROP_SYN_C = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
char LICENSE[] SEC("license") = "GPL";
__u32 syn_drops;
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
	if (th->dest == bpf_htons(DROP_PORT) && th->syn && !th->ack && syn_drops < 1) {
		syn_drops++;
		return 2; /* TC_ACT_SHOT */
	}
	return 0; /* TC_ACT_OK */
}
`;

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

export interface LossyNamespace {
  name: string;
  /** Address of the server side, inside the namespace. */
  address: string;
  port: number;
  close(): void;
}

/** Creates the namespace, starts an HTTP server in it on `port`, arms the SYN drop. */
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
  const onExit = () => cleanup();
  process.once('exit', onExit);
  const close = () => {
    process.removeListener('exit', onExit);
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
    const script = `require('http').createServer((q, s) => { q.resume(); q.on('end', () => s.end('ok')); })`
      + `.listen(${port}, '${net}.2', () => console.log('listening'))`;
    server = spawn('ip', ['netns', 'exec', name, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error('server in namespace did not start')), 10_000);
      server!.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('listening')) {
          clearTimeout(timer);
          res();
        }
      });
      server!.once('exit', (code) => rej(new Error(`server in namespace exited (${code})`)));
    });
    return { name, address: `${net}.2`, port, close };
  } catch (e) {
    close();
    throw e;
  }
}

/** True while anything of this namespace is left on the machine. */
export function namespaceExists(name: string): boolean {
  return run('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === name);
}

/** The host's count of SYN retransmissions (/proc/net/netstat TcpExt TCPSynRetrans): what the kernel
 *  itself did, to tell a retransmit the tracer missed from a connect delayed by something else. */
export function synRetransmits(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0]?.split(' ') ?? [];
  const values = lines[1]?.split(' ') ?? [];
  return Number(values[names.indexOf('TCPSynRetrans')]);
}
