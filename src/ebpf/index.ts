// Entry point of the eBPF wire tracer. startWireTracer never throws: whatever is missing, the
// exporter gets a tracer (up or down), its `up` says which, and one log line says why.
import type { Logger } from 'pino';
import type { WireSink } from '../results/wire.js';
import { openTracer, type HookSet } from './native.js';
import { DownTracer, KernelWireTracer, type WireTracer } from './tracer.js';

export type { WireTracer } from './tracer.js';
export type { HookSet } from './native.js';

export interface WireTracerOptions {
  logger: Logger;
  /** The config switch (ebpf.enabled). */
  enabled: boolean;
  /** Receives every wire result and every unmatched exchange. */
  sink: WireSink;
  /** Force one hook set instead of tp_btf -> raw_tp -> tracepoint (tests). */
  hooks?: HookSet | undefined;
  /** Another addon file (tests); default native/build/Release/s3prober.node, or S3PROBER_EBPF_ADDON. */
  addonPath?: string | undefined;
}

/** A promise: loading may take time on some kernels, and callers must not depend on it being sync. */
export function startWireTracer(opts: WireTracerOptions): Promise<WireTracer> {
  return Promise.resolve(openWireTracer(opts));
}

function openWireTracer(opts: WireTracerOptions): WireTracer {
  if (!opts.enabled) {
    opts.logger.info('eBPF wire tracer off: disabled in the configuration (ebpf.enabled: false)');
    return new DownTracer('disabled in the configuration');
  }
  try {
    const o: Parameters<typeof openTracer>[0] = {};
    if (opts.hooks) o.hooks = opts.hooks;
    if (opts.addonPath) o.addonPath = opts.addonPath;
    const r = openTracer(o);
    if (!r.ok) {
      opts.logger.warn(r.detail ? { libbpf: r.detail } : {}, `eBPF wire tracer off (s3prober_ebpf_up 0): ${r.reason}`);
      return new DownTracer(r.reason);
    }
    const t = r.tracer;
    const live = new KernelWireTracer(t, opts.sink, opts.logger);
    const tlsNote = t.uprobeErrors.length
      ? `; ${t.uprobeErrors.length} uprobes failed, HTTPS plaintext and request lines may be missing (${t.uprobeErrors[0]})`
      : '';
    opts.logger.info(`eBPF wire tracer up: ${t.hooks} hooks, ${t.uprobes} uprobes${tlsNote}`);
    return live;
  } catch (e) {
    const reason = `unexpected error (${(e as Error).message})`;
    opts.logger.warn(`eBPF wire tracer off (s3prober_ebpf_up 0): ${reason}`);
    return new DownTracer(reason);
  }
}
