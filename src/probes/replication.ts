// The replication check of one pair of targets (config `replication`). Each round of the source
// target writes a uniquely named object at the source and follows it in the background, never
// holding up the round: the destination is polled with back-off (HeadObject, then GetObject with
// every byte compared) until the object shows or the timeout passes; then it is deleted at the
// source and the destination polled until it is gone there too. A key carries its write time and
// its bytes follow from the key, so any prober verifies what another wrote. An object that failed
// or was abandoned (timeout, shutdown) is deleted at both sides; what even that leaves, a sweep of
// the replication's own keys removes once they are old enough that no prober still follows them.
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { POLL_FACTOR, POLL_FIRST_MS, POLL_MAX_MS, type ReplicationConfig } from '../config/replication.js';
import type { TargetConfig } from '../config/schema.js';
import type { OperationResult } from '../results/cycle.js';
import type { FailureReason } from '../results/operations.js';
import type { ReplicationKind, ReplicationOutcome, ReplicationPair } from '../results/replication.js';
import { createTargetClient, type TargetClient } from '../s3/client.js';
import { errorMessage, isNotFound } from './classify.js';
import { deleteObject, type DurableStore, headObject, verifyObject, writeObject } from './durable-object.js';
import { keyedContent } from './keyed-content.js';
import { OperationMeasurer } from './measure.js';
import { cycleId, replicationKeyPrefix } from './naming.js';
import type { CycleObserver } from './observer.js';
import { removeReplicationKeys } from './sweep.js';

/** The size of every replicated object. */
export const REPLICATION_OBJECT_SIZE = 4096;
/** How bytes are derived from keys: another derivation gets another version. */
const FORMAT = 'v1';

export function replicationContent(key: string): Buffer {
  return keyedContent(`s3prober replication ${FORMAT}`, key, REPLICATION_OBJECT_SIZE);
}

/** The wait before poll n (from 0): POLL_FIRST_MS, each wait POLL_FACTOR times the one before, at
 *  most POLL_MAX_MS. */
export function pollDelay(n: number): number {
  return Math.min(POLL_FIRST_MS * POLL_FACTOR ** n, POLL_MAX_MS);
}

/** How old a key of the replication must be before a sweep removes it: an object is followed for
 *  up to a timeout to arrive, then up to a timeout for its delete to arrive. */
export function sweepAgeMs(c: ReplicationConfig): number {
  return 2 * c.timeout + POLL_MAX_MS;
}

type Side = 'source' | 'destination';
const PENDING = Symbol('pending');

/** How a phase's polling ended: a value when `check` settled; none at the timeout (with the last
 *  poll's failure, if it failed). */
interface Polled<T> {
  value?: T;
  /** Epoch ms: when the destination answered the poll that settled it. */
  at?: number;
  polls: number;
  lastFailure?: OperationResult;
}

export class ReplicationProbe {
  readonly pair: ReplicationPair;
  readonly identity: string;
  /** Where outcomes and traces go; re-pointed when a reload keeps this probe. */
  observer: CycleObserver | undefined;
  private readonly prefix: string;
  private readonly targets: Record<Side, TargetConfig>;
  private readonly clients: Record<Side, TargetClient>;
  private readonly inFlight: Record<ReplicationKind, number> = { object: 0, delete: 0 };
  private readonly following = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private lastSweep = -Infinity;

  constructor(readonly config: ReplicationConfig, source: TargetConfig, destination: TargetConfig, private readonly logger: Logger, observer?: CycleObserver) {
    this.pair = { replication: config.name, source: source.name, destination: destination.name };
    this.identity = replicationIdentity(config, source, destination);
    this.observer = observer;
    this.prefix = replicationKeyPrefix(config.keyPrefix, config.name);
    this.targets = { source, destination };
    // through the endpoint, also for a target probed node by node
    this.clients = { source: createTargetClient(source), destination: createTargetClient(destination) };
  }

  /** Objects followed now, arriving or being deleted. */
  get tracked(): number {
    return this.inFlight.object + this.inFlight.delete;
  }

  /** A round of the source ended: write a new object and follow it in the background, unless
   *  maxInFlight objects are followed already. Returns at once. */
  tick(): void {
    if (this.abort.signal.aborted) return;
    if (Date.now() - this.lastSweep >= this.config.timeout) {
      this.lastSweep = Date.now();
      this.track(this.sweep());
    }
    if (this.tracked >= this.config.maxInFlight) {
      this.logger.warn({ ...this.pair, inFlight: this.tracked }, `replication: ${this.tracked} objects in flight (maxInFlight): no new object this round`);
      this.observer?.onReplicationInFlight?.({ ...this.pair, inFlight: { ...this.inFlight }, skippedWrite: true });
      return;
    }
    this.track(this.follow(`${this.prefix}${cycleId()}`));
  }

  /** Stops following: polls end at once, what is in flight is deleted at both sides; then the
   *  clients are closed. */
  async stop(): Promise<void> {
    this.abort.abort();
    while (this.following.size) await Promise.all([...this.following]);
    this.clients.source.destroy();
    this.clients.destination.destroy();
  }

  private get shutdown(): boolean {
    return this.abort.signal.aborted;
  }

  private track(p: Promise<void>): void {
    const done = p.finally(() => this.following.delete(done));
    this.following.add(done);
  }

  private async follow(key: string): Promise<void> {
    let phase: ReplicationKind = 'object';
    let gone = false;
    try {
      const bytes = replicationContent(key);
      if (await this.counted('object', () => this.objectTravels(key, bytes))) {
        phase = 'delete';
        gone = await this.counted('delete', () => this.deleteTravels(key));
      }
    } catch (err) {
      this.logger.error({ ...this.pair, key, bug: err }, `replication check crashed: ${errorMessage(err)}`);
      this.emit({ kind: phase, key, since: Date.now(), reason: 'internal', detail: errorMessage(err), polls: 0, operations: [] });
    }
    if (!gone) await this.removeEverywhere(key);
  }

  private async counted<T>(kind: ReplicationKind, fn: () => Promise<T>): Promise<T> {
    this.changeInFlight(kind, 1);
    try {
      return await fn();
    } finally {
      this.changeInFlight(kind, -1);
    }
  }

  private changeInFlight(kind: ReplicationKind, by: number): void {
    this.inFlight[kind] += by;
    this.observer?.onReplicationInFlight?.({ ...this.pair, inFlight: { ...this.inFlight } });
  }

  /** Written at the source, then polled for at the destination: true once it arrived intact. */
  private async objectTravels(key: string, bytes: Buffer): Promise<boolean> {
    const src = this.store('source');
    const written = await writeObject(src, key, bytes);
    if (written !== 'ok') {
      if (!this.shutdown) {
        const detail = written === 'no-bucket' ? `bucket ${this.config.bucket} does not exist at the source (the operator creates it at both sides)` : 'PutObject at the source failed';
        this.failed('object', key, Date.now(), src.m.results.at(-1), detail, 0, src.m.results);
      }
      return false;
    }
    const since = Date.now();
    const dst = this.store('destination');
    const polled = await this.poll(since, dst.m, async () => {
      const v = await verifyObject(dst, key, bytes);
      return v === undefined ? undefined : v.state === 'missing' ? PENDING : v;
    });
    if (polled === undefined) return false; // shutdown
    const operations = [...src.m.results, ...dst.m.results];
    const v = polled.value;
    if (v === undefined) {
      this.notArrived('object', key, since, polled, operations);
      return false;
    }
    if (v.state === 'corrupt') {
      const detail = `arrived with other bytes: ${v.detail ?? 'corrupt'}`;
      this.logger.error({ ...this.pair, bucket: this.config.bucket, key }, `replicated object ${detail}`);
      this.emit({ kind: 'object', key, since, reason: 'integrity', detail, polls: polled.polls, operations });
      return false;
    }
    this.emit({ kind: 'object', key, since, lagSeconds: lagSeconds(since, polled.at!), polls: polled.polls, operations });
    return true;
  }

  /** Deleted at the source, then polled for at the destination: true once it is gone there. */
  private async deleteTravels(key: string): Promise<boolean> {
    const src = this.store('source');
    if (!(await deleteObject(src, key))) {
      if (!this.shutdown) this.failed('delete', key, Date.now(), src.m.results.at(-1), 'DeleteObject at the source failed', 0, src.m.results);
      return false;
    }
    const since = Date.now();
    const dst = this.store('destination');
    const polled = await this.poll(since, dst.m, async () => {
      const h = await headObject(dst, key, '');
      return h === undefined ? undefined : h === 'absent' ? true : PENDING;
    });
    if (polled === undefined) return false;
    const operations = [...src.m.results, ...dst.m.results];
    if (polled.value === undefined) {
      this.notArrived('delete', key, since, polled, operations);
      return false;
    }
    this.emit({ kind: 'delete', key, since, lagSeconds: lagSeconds(since, polled.at!), polls: polled.polls, operations });
    return true;
  }

  /** Polls with back-off until `check` settles or the timeout after `since` passes (with a last
   *  poll at the timeout); undefined on shutdown. `check` gives undefined when its request failed. */
  private async poll<T>(since: number, m: OperationMeasurer, check: () => Promise<T | typeof PENDING | undefined>): Promise<Polled<T> | undefined> {
    const deadline = since + this.config.timeout;
    let lastFailure: OperationResult | undefined;
    for (let polls = 1; ; polls++) {
      const wait = Math.min(pollDelay(polls - 1), deadline - Date.now());
      if (wait > 0) await sleep(wait, undefined, { signal: this.abort.signal }).catch(() => undefined);
      if (this.shutdown) return undefined;
      const before = m.results.length;
      const v = await check();
      if (this.shutdown) return undefined;
      const mine = m.results.slice(before);
      lastFailure = mine.find((o) => o.outcome === 'failure');
      if (v !== undefined && v !== PENDING) {
        const head = mine.find((o) => o.operation === 'HeadObject');
        const at = head ? head.startedAt + (head.durationSeconds ?? 0) * 1000 : Date.now();
        return { value: v, at, polls };
      }
      if (Date.now() >= deadline) return { polls, lastFailure };
    }
  }

  /** Not at the destination within the timeout: `timeout`, or the reason its last poll failed. */
  private notArrived(kind: ReplicationKind, key: string, since: number, p: Polled<unknown>, operations: OperationResult[]): void {
    const what = kind === 'object' ? 'not at the destination' : 'still at the destination';
    const detail = `${what} ${this.config.timeout / 1000}s after the ${kind === 'object' ? 'write' : 'delete'} (${p.polls} polls)` +
      (p.lastFailure ? `; the last poll failed: ${p.lastFailure.message ?? p.lastFailure.reason}` : '');
    this.failed(kind, key, since, p.lastFailure ?? { reason: 'timeout' }, detail, p.polls, operations);
  }

  private failed(kind: ReplicationKind, key: string, since: number, why: Pick<OperationResult, 'reason'> | undefined, detail: string, polls: number, operations: OperationResult[]): void {
    const reason: FailureReason = why?.reason ?? 'other';
    this.logger.warn({ ...this.pair, bucket: this.config.bucket, key, kind, reason }, `replication of the ${kind === 'object' ? 'object' : 'delete'} failed: ${detail}`);
    this.emit({ kind, key, since, reason, detail, polls, operations });
  }

  private emit(o: Omit<ReplicationOutcome, keyof ReplicationPair>): void {
    this.observer?.onReplication?.({ ...this.pair, ...o });
  }

  /** An object given up on: deleted at both sides (unmeasured housekeeping, also at shutdown). */
  private async removeEverywhere(key: string): Promise<void> {
    for (const side of ['source', 'destination'] as const) {
      try {
        await this.clients[side].s3.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: key }), { abortSignal: AbortSignal.timeout(this.targets[side].timeout) });
      } catch (e) {
        if (isNotFound(e)) continue;
        this.logger.warn({ ...this.pair, side, bucket: this.config.bucket, key }, `could not delete an abandoned replication object (a later sweep removes it): ${errorMessage(e)}`);
      }
    }
  }

  /** Removes the replication's keys old enough that no prober follows them any more, at both sides:
   *  what a killed prober, or a delete that failed, left. */
  private async sweep(): Promise<void> {
    for (const side of ['source', 'destination'] as const) {
      const t = this.targets[side];
      try {
        const r = await removeReplicationKeys(this.clients[side].s3, t, this.config, { olderThanMs: sweepAgeMs(this.config), timeoutMs: t.timeout });
        if (r.keys) this.logger.info({ ...this.pair, side, bucket: this.config.bucket, keys: r.keys }, 'removed old replication objects that earlier runs left');
        if (r.errors.length) this.logger.warn({ ...this.pair, side, errors: r.errors.slice(0, 5) }, 'could not remove every old replication object');
      } catch (err) {
        this.logger.error({ ...this.pair, side, bug: err }, `replication sweep crashed: ${errorMessage(err)}`);
      }
    }
  }

  private store(side: Side): DurableStore {
    const t = this.targets[side];
    const observer = {
      onTrace: (tr: Parameters<NonNullable<CycleObserver['onTrace']>>[0]) => this.observer?.onTrace?.(tr),
      onCertificate: (target: string, d: Date, node?: string) => this.observer?.onCertificate?.(target, d, node),
    };
    const m = new OperationMeasurer({ target: t.name, timeoutMs: t.timeout, logger: this.logger, signal: this.abort.signal, wireMeasured: false, observer });
    return { m, s3: this.clients[side].s3, bucket: this.config.bucket };
  }
}

/** Same replication between the same targets as configured: a reload keeps its objects in flight. */
export function replicationIdentity(c: ReplicationConfig, source: TargetConfig, destination: TargetConfig): string {
  return JSON.stringify([c, source, destination]);
}

const lagSeconds = (since: number, at: number) => Math.max(0, at - since) / 1000;
