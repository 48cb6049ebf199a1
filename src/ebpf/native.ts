// Finds and opens the native addon, and turns every way it can be unavailable into one sentence
// saying what is missing and how to get it. Never throws.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type HookSet = 'tp_btf' | 'raw_tp' | 'tracepoint';

/** The object returned by the addon's open(). */
export interface NativeTracer {
  readonly hooks: HookSet;
  readonly uprobes: number;
  readonly uprobeErrors: string[];
  onEvents(cb: (batch: Buffer) => void): void;
  /** Delivers what the kernel already submitted, synchronously; returns the bytes delivered. */
  drain(): number;
  /** hookRunsMissed: runs of the kernel hooks the kernel skipped (the same program already
   *  running on that CPU): events lost before any of them could be counted. */
  stats(): { events: number; dropped: number; socketsNotTraced: number; hookRunsMissed: number; wakeups: number; batches: number };
  unref(): void;
  close(): void;
}

export interface NativeLayout {
  offsets: Record<string, number>;
  headerSize: number;
  exchangeSize: number;
  reqLen: number;
  respLen: number;
  EV_EXCHANGE: number;
  EV_CLOSE: number;
  F_TLS: number;
  F_IPV6: number;
}

export interface NativeModule {
  open(o: { sslPath: string; hooks?: HookSet; verbose?: boolean }): NativeTracer;
  lastLog(): string;
  layout(): NativeLayout;
}

const BUILD_HINT = 'build it with `bash scripts/build-ebpf.sh` (Debian: apt-get install clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool)';
const PRIV_HINT = 'run as root or grant CAP_BPF and CAP_PERFMON (docker/podman: --cap-add BPF --cap-add PERFMON, and a seccomp profile that allows bpf and perf_event_open)';

function defaultAddonPath(): string {
  // dist/src/ebpf/native.js -> <root>/native/build/Release/s3prober.node
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  return process.env.S3PROBER_EBPF_ADDON ?? resolve(root, 'native', 'build', 'Release', 's3prober.node');
}

export type LoadModuleResult = { ok: true; mod: NativeModule } | { ok: false; reason: string };

export function loadModule(path = defaultAddonPath()): LoadModuleResult {
  if (process.platform !== 'linux') return { ok: false, reason: `eBPF needs Linux (this is ${process.platform})` };
  if (!existsSync(path)) return { ok: false, reason: `the eBPF addon is not built (${path} missing): ${BUILD_HINT}` };
  try {
    return { ok: true, mod: createRequire(import.meta.url)(path) as NativeModule };
  } catch (e) {
    const msg = (e as Error).message;
    if (/libbpf\.so/.test(msg)) return { ok: false, reason: `the libbpf shared library is missing (${msg.split('\n')[0]}): apt-get install libbpf1` };
    return { ok: false, reason: `the eBPF addon does not load (${msg.split('\n')[0]}): rebuild it with \`bash scripts/build-ebpf.sh\`` };
  }
}

const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

/** Effective capabilities of this process, or undefined if unknown. */
function effectiveCaps(): bigint | undefined {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : undefined;
  } catch {
    return undefined;
  }
}

/** What the kernel and privileges lack, checked before libbpf would print its own noise. */
function preflight(): string | undefined {
  if (!existsSync('/sys/kernel/btf/vmlinux')) {
    return 'the kernel exposes no BTF (/sys/kernel/btf/vmlinux missing): it needs CONFIG_DEBUG_INFO_BTF=y (most distribution kernels since 5.x); in a container, keep /sys/kernel/btf visible';
  }
  const caps = effectiveCaps();
  if (caps !== undefined) {
    const has = (c: bigint) => ((caps >> c) & 1n) === 1n;
    if (!has(CAP_SYS_ADMIN) && !(has(CAP_BPF) && has(CAP_PERFMON))) return `no permission to load eBPF programs: ${PRIV_HINT}`;
  }
  return undefined;
}

/** Where this process's OpenSSL code lives (node links it statically by default). */
export function userSpaceTargets(): { sslPath: string } {
  const exe = realpathSync('/proc/self/exe');
  const vars = (process.config.variables ?? {}) as Record<string, unknown>;
  if (!vars.node_shared_openssl) return { sslPath: exe };
  try {
    for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
      const at = line.indexOf('/');
      if (at >= 0 && /\/libssl\.so[.\d]*$/.test(line.slice(at))) return { sslPath: line.slice(at) };
    }
  } catch {
    /* fall back to the executable */
  }
  return { sslPath: exe };
}

export type OpenResult = { ok: true; tracer: NativeTracer; mod: NativeModule } | { ok: false; reason: string; detail?: string };

export function openTracer(o: { addonPath?: string; hooks?: HookSet; verbose?: boolean } = {}): OpenResult {
  const m = loadModule(o.addonPath);
  if (!m.ok) return m;
  const missing = preflight();
  if (missing) return { ok: false, reason: missing };
  try {
    const opts: Parameters<NativeModule['open']>[0] = { ...userSpaceTargets() };
    if (o.hooks) opts.hooks = o.hooks;
    if (o.verbose) opts.verbose = true;
    return { ok: true, tracer: m.mod.open(opts), mod: m.mod };
  } catch (e) {
    const err = e as Error & { code?: string };
    const detail = safeLastLog(m.mod);
    if (err.code === 'EPERM' || err.code === 'EACCES') {
      return { ok: false, reason: `the kernel refused to load eBPF programs (${err.message}): ${PRIV_HINT}; kernel lockdown also forbids it`, detail };
    }
    return { ok: false, reason: `the kernel lacks support for the tracer's hooks (${err.message}): needs Linux >= 5.8 with BTF, tracepoints sock:* and tcp:* and uprobes`, detail };
  }
}

function safeLastLog(mod: NativeModule): string | undefined {
  try {
    return mod.lastLog().trim().split('\n').slice(-5).join(' | ') || undefined;
  } catch {
    return undefined;
  }
}
