// Turns the durability check's results into metric samples. It registers its families in the
// registry of the config's MetricsRecorder and labels targets as that one does (labelsOf).
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { durabilityFailures, REASON_OF_STATE, type DurabilityResult, DURABLE_STATES } from '../results/durability.js';
import { createDurabilityFamilies, type DurabilityFamilies } from './durability-families.js';

type Labels = Record<string, string>;

export class DurabilityRecorder {
  readonly families: DurabilityFamilies;

  /** labelsOf: a target's labels (MetricsRecorder.labelsOf), every target having the same names. */
  constructor(registry: Registry, config: Config, private readonly labelsOf: (target: string) => Labels) {
    this.families = createDurabilityFamilies(registry, Object.keys(labelsOf(config.targets[0]!.name)));
    for (const t of config.targets) {
      if (!t.durability) continue;
      // from the start, so that increase() sees the first loss
      for (const reason of Object.values(REASON_OF_STATE)) this.families.failures.inc({ ...labelsOf(t.name), reason }, 0);
    }
  }

  onDurability(r: DurabilityResult): void {
    const f = this.families;
    const base = this.labelsOf(r.target);
    for (const reason of durabilityFailures(r)) f.failures.inc({ ...base, reason });
    const pass = r.pass;
    if (!pass) return;
    for (const state of DURABLE_STATES) f.objects.set({ ...base, state }, pass.objects[state]);
    f.lastFullPass.set(base, pass.endedAt / 1000);
    if (pass.oldestWrittenAt === undefined) f.oldestObject.remove(base); // nothing was found intact
    else f.oldestObject.set(base, pass.oldestWrittenAt / 1000);
  }
}
