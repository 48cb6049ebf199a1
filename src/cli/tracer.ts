// The wire tracer as the runtime sees it. The eBPF module is optional at run time: when it cannot
// be loaded at all, a stand-in that is down takes its place (the tracer degrades, never breaks).
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { RequestTrace } from '../s3/request-trace.js';

export interface Tracer {
  readonly up: boolean;
  observe(t: RequestTrace): void;
  /** target -> operation -> { clientSeconds, wireSeconds } */
  snapshot(): Record<string, Record<string, { clientSeconds: number; wireSeconds: number } | undefined> | undefined>;
  close(): Promise<void>;
}

const down: Tracer = { up: false, observe() {}, snapshot: () => ({}), close: async () => {} };

export async function startTracer(o: { registry: Registry; logger: Logger; enabled: boolean }): Promise<Tracer> {
  const spec = '../ebpf/index.js';
  try {
    const mod = (await import(spec)) as { startWireTracer(o: unknown): Promise<Tracer> };
    return await mod.startWireTracer(o);
  } catch (e) {
    o.logger.warn(`eBPF tracer unavailable (${(e as Error).message}); exporting client-side metrics only`);
    return down;
  }
}
