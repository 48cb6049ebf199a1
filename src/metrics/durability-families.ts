// The metric families of the durability check's results (names in names.ts). Label `target` plus
// the configured extra labels come first, as in every target-scoped family.
import { Counter, Gauge, type Registry } from 'prom-client';
import { DURABILITY_REASONS, DURABLE_STATES } from '../results/durability.js';
import { DURABILITY_METRICS as N } from './names.js';

export type DurabilityFamilies = ReturnType<typeof createDurabilityFamilies>;

export function createDurabilityFamilies(registry: Registry, targetLabels: string[]) {
  const L = targetLabels;
  const registers = [registry];
  return {
    objects: new Gauge({
      name: N.objects,
      help: `Objects of the durable set by state (${DURABLE_STATES.join(', ')}) in the last full verification pass; missing and corrupt ones were rewritten.`,
      labelNames: [...L, 'state'], registers,
    }),
    failures: new Counter({
      name: N.failures,
      help: `Durability failures by reason: lost (a durable object is gone), integrity (its bytes differ), and the durability check's failed requests (${DURABILITY_REASONS.filter((r) => r !== 'lost' && r !== 'integrity').join(', ')}).`,
      labelNames: [...L, 'reason'], registers,
    }),
    oldestObject: new Gauge({
      name: N.oldestObject,
      help: 'Unix time the oldest object the last full pass found intact was written (Last-Modified): time() minus it is how long the store has kept data intact.',
      labelNames: L, registers,
    }),
    lastFullPass: new Gauge({
      name: N.lastFullPass,
      help: 'Unix time the last pass ended in which every object of the durable set was verified.',
      labelNames: L, registers,
    }),
  };
}
