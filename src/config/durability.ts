// The durable set of a target (opt-in): objects written once, kept for ever and re-verified a slice
// per cycle (src/probes/durability.ts). Its bounds live here; the schema, its messages, README and
// the tests derive from them.
import { z } from 'zod';
import { bucketName } from './bucket-name.js';

/** Objects in a set: at most this many, since a prober that starts lists the set once (a request
 *  per 1,000 objects) and each index is six digits of its key. */
export const MAX_DURABLE_OBJECTS = 100_000;
export const DEFAULT_DURABLE_OBJECTS = 1000;
/** Verified per cycle: each is a HeadObject and a GetObject (plus a PutObject per lost or rotten
 *  one), one after another inside the cycle, so this bounds the requests a cycle adds. */
export const MAX_VERIFY_PER_CYCLE = 1000;
export const DEFAULT_VERIFY_PER_CYCLE = 50;

export const durabilitySchema = z
  .strictObject({
    // kept for ever, created if missing; never a fixed canary bucket (schema.ts), never swept (sweep.ts)
    bucket: bucketName,
    objects: z.number().int().min(1).max(MAX_DURABLE_OBJECTS).default(DEFAULT_DURABLE_OBJECTS),
    verifyPerCycle: z.number().int().min(1).max(MAX_VERIFY_PER_CYCLE).default(DEFAULT_VERIFY_PER_CYCLE),
  })
  .superRefine((d, ctx) => {
    if (d.verifyPerCycle > d.objects) {
      ctx.addIssue({ code: 'custom', path: ['verifyPerCycle'], message: `at most objects (${d.objects}): a cycle verifies each object at most once` });
    }
  });

export type DurabilityConfig = z.output<typeof durabilitySchema>;
