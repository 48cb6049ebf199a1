// The wire half, composed: the eBPF tracer produces wire results; a recorder turns them into
// metrics, a view keeps the wire timing of each joined request for the status page and API, and the
// trace consumer (when traces are on) makes their phases spans.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { startWireTracer, type HookSet, type WireTracer } from '../ebpf/index.js';
import { WireRecorder } from '../metrics/wire-recorder.js';
import type { WireResult } from '../results/wire.js';
import { WireView } from '../server/wire-view.js';

export interface WireHalf {
  tracer: WireTracer;
  recorder: WireRecorder;
  view: WireView;
}

export interface WireHalfOptions {
  registry: Registry;
  logger: Logger;
  enabled: boolean;
  hooks?: HookSet | undefined;
  addonPath?: string | undefined;
  /** Another consumer of the wire results (the trace consumer). */
  onWire?: ((r: WireResult) => void) | undefined;
}

export async function startWireHalf(o: WireHalfOptions): Promise<WireHalf> {
  let tracer: WireTracer | undefined;
  const recorder = new WireRecorder(o.registry, { up: () => tracer?.up ?? false, enabled: () => o.enabled, kernel: () => tracer?.kernelCounters() });
  const view = new WireView();
  tracer = await startWireTracer({
    logger: o.logger,
    enabled: o.enabled,
    hooks: o.hooks,
    addonPath: o.addonPath,
    sink: {
      onWire: (r) => {
        recorder.onWire(r);
        view.record(r);
        o.onWire?.(r);
      },
      onUnmatched: (side, n) => recorder.onUnmatched(side, n),
    },
  });
  return { tracer, recorder, view };
}
