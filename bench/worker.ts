// One measured prober process per run (started by bench/run.ts, pinned to its own core when possible):
//   worker.js cost|scale|truth|throughput|soak '<json options>'
// Results go back over IPC ({type:'result', ...}); {type:'error', message} on failure. Each mode
// lives in bench/modes/<mode>.ts; the exporter-based ones run it whole (bench/modes/exporter.ts).
import { cost, type CostOptions } from './modes/cost.js';
import { send } from './modes/ipc.js';
import { scale, type ScaleOptions } from './modes/scale.js';
import { soak, type SoakOptions } from './modes/soak.js';
import { throughput, type ThroughputOptions } from './modes/throughput.js';
import { truth, type TruthOptions } from './modes/truth.js';

/** Each mode's options, as the harness sends them (bench/harness.ts worker()). */
export interface WorkerOptions { cost: CostOptions; scale: ScaleOptions; truth: TruthOptions; throughput: ThroughputOptions; soak: SoakOptions }
const modes: { [M in keyof WorkerOptions]: (o: WorkerOptions[M]) => Promise<Record<string, unknown>> } = { cost, scale, truth, throughput, soak };
const mode = process.argv[2] ?? '';
const opts = JSON.parse(process.argv[3] ?? '{}') as never;

// orphaned (the harness was killed): never keep probing on our own
process.once('disconnect', () => process.exit(1));

try {
  const run = Object.hasOwn(modes, mode) ? modes[mode as keyof WorkerOptions] as (o: never) => Promise<Record<string, unknown>> : undefined;
  if (!run) throw new Error(`unknown mode ${mode}`);
  const r = await run(opts);
  await send({ type: 'result', ...r });
  process.exit(0);
} catch (e) {
  await send({ type: 'error', message: (e as Error).stack ?? String(e) });
  process.exit(1);
}
