// What a cycle could not remove. Kept per target and retried at the start of every cycle.
export interface Leftover {
  bucket: string;
  /** Absent for the bucket itself (an ephemeral bucket, removed once its keys are gone). */
  key?: string;
}

export class LeftoverStore {
  private readonly items = new Map<string, Leftover>();

  add(l: Leftover): void {
    this.items.set(`${l.bucket}\u0000${l.key ?? ''}`, l);
  }
  remove(l: Leftover): void {
    this.items.delete(`${l.bucket}\u0000${l.key ?? ''}`);
  }
  /** Keys first, then buckets: a bucket can only go once it is empty. */
  list(): Leftover[] {
    const all = [...this.items.values()];
    return [...all.filter((l) => l.key !== undefined), ...all.filter((l) => l.key === undefined)];
  }
  get size(): number {
    return this.items.size;
  }
}
