// One verification pass over a durable set: the cursor visits every index once, a slice per cycle.
// A pass counts as full only if every object in it got a verdict; one that did not (a request failed,
// an object not written yet) ends with no tally, and the next pass starts afresh.
import type { DurablePass, DurableState } from '../results/durability.js';

/** What one visit found: a verdict, with the object's write time when it was intact; or none. */
export type Verdict = { state: DurableState; writtenAt?: number | undefined } | undefined;

export class PassTally {
  private visited = 0;
  private inconclusive = 0;
  private readonly objects: Record<DurableState, number> = { ok: 0, missing: 0, corrupt: 0 };
  private oldestWrittenAt: number | undefined;

  /** `size`: the objects of the set, each visited once per pass. */
  constructor(private readonly size: number) {}

  /** Every object of the set has been visited: the next visit belongs to a new pass. */
  get ended(): boolean {
    return this.visited >= this.size;
  }

  /** Objects visited without a verdict so far. */
  get unverified(): number {
    return this.inconclusive;
  }

  /** Counts one visit; returns the pass when it was the last one and every object had a verdict. */
  add(v: Verdict): DurablePass | undefined {
    this.visited++;
    if (v === undefined) this.inconclusive++;
    else {
      this.objects[v.state]++;
      if (v.state === 'ok' && v.writtenAt !== undefined) this.oldestWrittenAt = Math.min(this.oldestWrittenAt ?? Infinity, v.writtenAt);
    }
    if (!this.ended || this.inconclusive > 0) return undefined;
    return {
      endedAt: Date.now(),
      objects: { ...this.objects },
      ...(this.oldestWrittenAt === undefined ? {} : { oldestWrittenAt: this.oldestWrittenAt }),
    };
  }
}
