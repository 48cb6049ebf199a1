// The durable canary of one target (opt-in: `durability` in its config). A set of objects, written
// once and kept for ever in a bucket of their own, is verified a slice per cycle: HeadObject, then
// GetObject with every byte compared against what the key says the object holds (durable-set.ts).
// A missing object is `lost`, one with other bytes `integrity`: counted, logged with its key and
// rewritten so the set stays whole. Nothing is kept on disk: which objects the set has had is
// learnt by listing it once, so a new prober on a new host verifies what an old one wrote.
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { DurabilityConfig } from '../config/durability.js';
import type { TargetConfig } from '../config/schema.js';
import { nowNs, secondsBetween } from '../results/clock.js';
import { REASON_OF_STATE, type DurabilityResult, type DurableFinding, type DurablePass } from '../results/durability.js';
import type { Operation } from '../results/operations.js';
import type { TargetClient } from '../s3/client.js';
import { createBucket, type DurableStore, type ObjectVerdict, storedObjects, verifyObject, writeObject } from './durable-object.js';
import { PassTally } from './durable-pass.js';
import { DurableSet, durableContent } from './durable-set.js';
import { OperationMeasurer } from './measure.js';
import type { CycleObserver } from './observer.js';

export interface DurabilityRunOptions {
  client: TargetClient;
  /** Gets the result (onDurability), the requests' traces (the wire tracer claims them) and
   *  certificates; the operations are not the canary's and go to no onOperation. */
  observer?: CycleObserver | undefined;
  /** Shutdown: the check stops where it is; what it did not reach is verified later. */
  signal?: AbortSignal | undefined;
}

/** One run's requests and what they found. */
interface Run extends DurableStore {
  findings: DurableFinding[];
  verified: number;
  filled: number;
  pass?: DurablePass;
  /** What a crash of the check's own code is counted against. */
  step: Operation;
}

/** The probe of a target whose config has `durability`; undefined for the others. */
export function durabilityProbe(target: TargetConfig, logger: Logger): DurabilityProbe | undefined {
  return target.durability ? new DurabilityProbe(target, target.durability, logger) : undefined;
}

export class DurabilityProbe {
  private readonly set: DurableSet;
  /** Objects [0, stored) have each been written at least once, by this prober or another: the set
   *  is filled in index order and a fill stops at its first failure, so it never leaves a gap.
   *  Undefined until a listing of the set has said it; it never shrinks (a lost object stays lost). */
  private stored: number | undefined;
  /** The next index to verify. It starts anywhere: a prober restarted more often than a pass lasts
   *  still covers the whole set over time. */
  private cursor: number;
  private tally: PassTally;

  constructor(readonly target: TargetConfig, private readonly d: DurabilityConfig, private readonly logger: Logger) {
    this.set = new DurableSet(target.keyPrefix, target.name);
    this.cursor = randomInt(d.objects);
    this.tally = new PassTally(d.objects);
  }

  /** Goes on where `previous` (the same target before a reload) left off, if it checked the same set. */
  carryOver(previous: DurabilityProbe | undefined): void {
    if (previous === undefined || previous.identity !== this.identity) return;
    this.stored = previous.stored;
    this.cursor = previous.cursor;
    this.tally = previous.tally;
  }

  private get identity(): string {
    return JSON.stringify([this.target.endpoint, this.d.bucket, this.set.prefix, this.d.objects]);
  }

  /** One cycle's check, its result also told to the observer; never rejects (a bug of its own is a
   *  failure with reason `internal`). */
  async run(o: DurabilityRunOptions): Promise<DurabilityResult> {
    const startedAt = Date.now();
    const t0 = nowNs();
    const observer = o.observer;
    const m = new OperationMeasurer({
      target: this.target.name,
      timeoutMs: this.target.timeout,
      logger: this.logger,
      signal: o.signal,
      wireMeasured: false,
      observer: observer && { onTrace: observer.onTrace?.bind(observer), onCertificate: observer.onCertificate?.bind(observer) },
    });
    const run: Run = { m, s3: o.client.s3, bucket: this.d.bucket, findings: [], verified: 0, filled: 0, step: 'ListObjectsV2' };
    try {
      if (this.stored === undefined) await this.survey(run);
      if (this.stored !== undefined) {
        await this.verifySlice(run, this.stored);
        await this.fill(run);
      }
    } catch (err) {
      m.crashed(run.step, '', err);
    }
    const result: DurabilityResult = {
      target: this.target.name,
      startedAt,
      durationSeconds: secondsBetween(t0, nowNs()),
      operations: m.results,
      verified: run.verified,
      findings: run.findings,
      filled: run.filled,
      stored: this.stored,
      ...(run.pass ? { pass: run.pass } : {}),
    };
    observer?.onDurability?.(result);
    return result;
  }

  /** Learns how many objects the set has had; creates its bucket when there is none. */
  private async survey(run: Run): Promise<void> {
    const listed = await storedObjects(run, this.set);
    if (listed === undefined) return; // retried next cycle
    if (listed !== 'no-bucket') {
      this.stored = listed;
      return;
    }
    run.step = 'CreateBucket';
    if (!(await createBucket(run))) return;
    this.logger.info({ target: this.target.name, bucket: this.d.bucket }, 'created the bucket of the durable set');
    this.stored = 0;
  }

  /** Verifies the next verifyPerCycle objects of the cursor; objects not written yet get no verdict. */
  private async verifySlice(run: Run, stored: number): Promise<void> {
    for (let k = 0; k < this.d.verifyPerCycle; k++) {
      const index = this.cursor;
      let verdict: ObjectVerdict | undefined;
      if (index < stored) {
        run.step = 'HeadObject';
        const key = this.set.key(index);
        verdict = await verifyObject(run, key, durableContent(key));
        if (run.m.shutdown) return; // cut short: this object comes again next time
        if (verdict) run.verified++;
        if (verdict && verdict.state !== 'ok') await this.found(run, key, verdict);
      }
      this.cursor = (index + 1) % this.d.objects;
      const pass = this.tally.add(verdict);
      if (!this.tally.ended) continue;
      if (pass) run.pass = pass;
      else this.logger.info({ target: this.target.name, unverified: this.tally.unverified }, 'a pass over the durable set ended with objects unverified (failed requests, or not written yet): not a full pass');
      this.tally = new PassTally(this.d.objects);
    }
  }

  /** A lost or rotten object: logged with its key and rewritten (the count keeps the evidence). */
  private async found(run: Run, key: string, v: ObjectVerdict): Promise<void> {
    const state = v.state === 'missing' ? 'missing' : 'corrupt';
    const detail = v.detail ?? state;
    this.logger.error(
      { target: this.target.name, bucket: this.d.bucket, key, reason: REASON_OF_STATE[state], detail },
      `durable object ${state === 'missing' ? 'lost' : 'corrupt'}: ${detail}; rewriting it`,
    );
    run.step = 'PutObject';
    run.findings.push({ key, state, detail, rewritten: await this.write(run, key) });
  }

  /** Writes the objects not written yet, in index order, at most verifyPerCycle a cycle. */
  private async fill(run: Run): Promise<void> {
    run.step = 'PutObject';
    for (let k = 0; k < this.d.verifyPerCycle && !run.m.shutdown; k++) {
      const next = this.stored ?? 0;
      if (next >= this.d.objects) return;
      if (!(await this.write(run, this.set.key(next)))) return; // no gap: the next cycle starts here
      this.stored = next + 1;
      run.filled++;
      if (this.stored === this.d.objects) this.logger.info({ target: this.target.name, bucket: this.d.bucket, objects: this.d.objects }, 'the durable set is complete');
    }
  }

  private async write(run: Run, key: string): Promise<boolean> {
    const bytes = durableContent(key);
    let w = await writeObject(run, key, bytes);
    if (w === 'no-bucket' && (await createBucket(run))) w = await writeObject(run, key, bytes);
    return w === 'ok';
  }
}
