// One canary cycle against one target: every S3 operation in order, each timed on its own, each with
// its own deadline. Steps that depend on a failed one are skipped (and counted as skipped).
// Whatever the cycle created is removed in all cases; what cannot be removed goes to the leftovers.
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand,
  ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { TargetConfig } from '../config/schema.js';
import { formatBytes } from '../config/units.js';
import type { TargetClient } from '../s3/client.js';
import { withRequestScope } from '../s3/instrument.js';
import { operationTiming } from './timing.js';
import type { RequestTrace } from '../s3/request-trace.js';
import { listBucketsPage, MAX_BUCKET_PAGES } from './bucket-listing.js';
import { classifyFailure, IntegrityError } from './classify.js';
import type { LeftoverStore } from './leftovers.js';
import { cycleId, cycleKeyPrefix, ephemeralBucketName } from './naming.js';
import { isMultipart, READ_ONLY, type Operation } from './operations.js';
import { makePayload, type Payload } from './payload.js';
import type { CycleObserver, CycleResult, OperationResult } from './result.js';

export interface CycleOptions {
  target: TargetConfig;
  client: TargetClient;
  /** Deadline of each operation. */
  timeoutMs: number;
  leftovers: LeftoverStore;
  logger: Logger;
  observer?: CycleObserver;
  /** Aborts the cycle (shutdown); cleanup still runs with its own deadlines. */
  signal?: AbortSignal;
}

/** `rejected`: the request certainly changed nothing (never sent, or refused with a 4xx). */
type Step<T> = { ok: true; value: T } | { ok: false; rejected?: boolean };
const FAILED: Step<never> = { ok: false };
/** How long a write in flight at shutdown may still finish (its own deadline still applies). */
const SHUTDOWN_GRACE_MS = 2000;

export async function runCycle(o: CycleOptions): Promise<CycleResult> {
  return new Cycle(o).run();
}

class Cycle {
  private readonly results: OperationResult[] = [];
  private readonly id = cycleId();
  private readonly t: TargetConfig;
  private readonly bucket: string;
  private readonly prefix: string;
  /** Keys that may exist in the store (attempted writes not yet deleted). */
  private readonly mayExist = new Set<string>();
  /** Multipart uploads started and not yet completed or aborted. */
  private readonly openUploads = new Map<string, string>();
  private bucketMayExist = false;

  constructor(private readonly o: CycleOptions) {
    this.t = o.target;
    this.bucket = this.t.bucket.mode === 'fixed' ? this.t.bucket.name : ephemeralBucketName(this.t.bucket.prefix, this.t.name, this.id);
    this.prefix = cycleKeyPrefix(this.t.keyPrefix, this.t.name, this.id);
  }

  private get shutdown(): boolean {
    return this.o.signal?.aborted ?? false;
  }

  async run(): Promise<CycleResult> {
    const startedAt = Date.now();
    const t0 = process.hrtime.bigint();
    try {
      await this.retryLeftovers();
      // Every cycle measures a cold start (connect, TLS handshake, certificate) on its first
      // request; the rest of the cycle runs warm on kept-alive connections.
      this.o.client.closeIdleConnections();
      await this.steps();
    } finally {
      await this.cleanup();
    }
    const failed = this.results.some((r) => r.outcome === 'failure');
    return {
      target: this.t.name,
      cycleId: this.id,
      startedAt,
      durationSeconds: Number(process.hrtime.bigint() - t0) / 1e9,
      success: !failed && !this.shutdown,
      operations: this.results,
      leftovers: this.o.leftovers.size,
      aborted: this.shutdown,
    };
  }

  private async steps(): Promise<void> {
    const s3 = this.o.client.s3;
    const Bucket = this.bucket;
    const ephemeral = this.t.bucket.mode === 'ephemeral';

    let noBucket: string | undefined;
    if (ephemeral) {
      this.bucketMayExist = true;
      const r = await this.op('CreateBucket', '', 0, undefined, (signal) => s3.send(new CreateBucketCommand({ Bucket }), { abortSignal: signal }));
      if (!r.ok) noBucket = 'CreateBucket';
      // Never remove a bucket the server refused to create for us (it may even be someone else's).
      if (!r.ok && r.rejected) this.bucketMayExist = false;
    }

    // Sized objects: write, head, read back and verify every byte.
    const stored: { key: string; size: string }[] = [];
    for (const size of this.t.objectSizes) {
      const label = formatBytes(size);
      const key = `${this.prefix}obj-${label}`;
      const payload = makePayload(size);
      const multipart = isMultipart(this.t, size);
      const ok = multipart ? await this.multipartUpload(key, label, payload, noBucket) : await this.put(key, label, payload, noBucket);
      const notStored = ok ? undefined : (noBucket ?? (multipart ? 'CompleteMultipartUpload' : 'PutObject'));
      await this.op('HeadObject', label, 0, notStored, async (signal) => {
        const h = await s3.send(new HeadObjectCommand({ Bucket, Key: key }), { abortSignal: signal });
        if (h.ContentLength !== size) throw new IntegrityError(`HeadObject reports ${h.ContentLength} bytes, ${size} were written`);
      });
      await this.op('GetObject', label, size, notStored, (signal) => this.getAndVerify(key, payload, signal));
      if (ok) stored.push({ key, size: label });
    }

    // A batch of small objects: exercises listing pagination and the batch delete.
    const batchSize = Math.min(...this.t.objectSizes, 64 * 1024);
    const batchLabel = formatBytes(batchSize);
    const batch: string[] = [];
    for (let i = 0; i < this.t.batchSize; i++) {
      const key = `${this.prefix}batch/${String(i).padStart(4, '0')}`;
      if (await this.put(key, batchLabel, makePayload(batchSize), noBucket)) batch.push(key);
    }

    const expected = [...stored.map((s) => s.key), ...batch];
    await this.listAll(expected, noBucket ?? (expected.length ? undefined : 'PutObject'));

    await this.listBuckets(ephemeral && !noBucket ? Bucket : undefined);

    for (const s of stored) {
      const r = await this.op('DeleteObject', s.size, 0, undefined, (signal) => s3.send(new DeleteObjectCommand({ Bucket, Key: s.key }), { abortSignal: signal }));
      if (r.ok) this.mayExist.delete(s.key);
    }

    await this.op('DeleteObjects', batchLabel, 0, batch.length ? undefined : (noBucket ?? 'PutObject'), async (signal) => {
      const r = await s3.send(
        new DeleteObjectsCommand({ Bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: false } }),
        { abortSignal: signal },
      );
      for (const d of r.Deleted ?? []) if (d.Key) this.mayExist.delete(d.Key);
      const errs = r.Errors ?? [];
      if (errs.length) {
        throw Object.assign(new Error(`DeleteObjects failed for ${errs.length} of ${batch.length} keys: ${errs[0]?.Code ?? 'unknown'}`), { name: errs[0]?.Code ?? 'DeleteObjectsError' });
      }
      if ((r.Deleted ?? []).length !== batch.length) throw new IntegrityError(`DeleteObjects confirmed ${(r.Deleted ?? []).length} of ${batch.length} keys`);
    });

    if (ephemeral) {
      await this.removeRemainingKeys(); // a bucket only goes once it is empty
      const r = await this.op('DeleteBucket', '', 0, noBucket, (signal) => s3.send(new DeleteBucketCommand({ Bucket }), { abortSignal: signal }));
      if (r.ok) this.bucketMayExist = false;
    }
  }

  private async put(key: string, label: string, p: Payload, blockedBy: string | undefined): Promise<boolean> {
    const r = await this.op('PutObject', label, p.bytes.length, blockedBy, (signal) => {
      this.mayExist.add(key);
      return this.o.client.s3.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: p.bytes, ContentLength: p.bytes.length }),
        { abortSignal: signal },
      );
    });
    if (!r.ok && r.rejected) this.mayExist.delete(key);
    return r.ok;
  }

  private async multipartUpload(key: string, label: string, p: Payload, blockedBy: string | undefined): Promise<boolean> {
    const s3 = this.o.client.s3;
    const Bucket = this.bucket;
    const created = await this.op('CreateMultipartUpload', label, 0, blockedBy, async (signal) => {
      const r = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: key }), { abortSignal: signal });
      if (!r.UploadId) throw new IntegrityError('CreateMultipartUpload returned no UploadId');
      return r.UploadId;
    });
    if (!created.ok) {
      // Later multipart steps depend on it: count them as skipped.
      const why = blockedBy ?? 'CreateMultipartUpload';
      this.skip('UploadPart', label, why);
      this.skip('CompleteMultipartUpload', label, why);
      return false;
    }
    const UploadId = created.value;
    this.openUploads.set(key, UploadId);
    const partSize = this.t.multipart.partSize;
    const parts: { ETag: string; PartNumber: number }[] = [];
    let failed: string | undefined;
    for (let off = 0, n = 1; off < p.bytes.length; off += partSize, n++) {
      const body = p.bytes.subarray(off, Math.min(off + partSize, p.bytes.length));
      const r = await this.op('UploadPart', label, body.length, failed, async (signal) => {
        const u = await s3.send(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber: n, Body: body, ContentLength: body.length }), { abortSignal: signal });
        if (!u.ETag) throw new IntegrityError(`UploadPart ${n} returned no ETag`);
        return u.ETag;
      });
      if (r.ok) parts.push({ ETag: r.value, PartNumber: n });
      else failed ??= 'UploadPart';
    }
    this.mayExist.add(key);
    const done = await this.op('CompleteMultipartUpload', label, 0, failed, (signal) =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }), { abortSignal: signal }),
    );
    if (done.ok) {
      this.openUploads.delete(key);
      return true;
    }
    const aborted = await this.op('AbortMultipartUpload', label, 0, undefined, (signal) =>
      s3.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId }), { abortSignal: signal }),
    );
    if (aborted.ok) this.openUploads.delete(key);
    return false;
  }

  private async getAndVerify(key: string, p: Payload, signal: AbortSignal): Promise<void> {
    const r = await this.o.client.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
    const body = r.Body as AsyncIterable<Uint8Array> | undefined;
    if (!body) throw new IntegrityError('GetObject returned no body');
    const hash = createHash('sha256');
    let n = 0;
    for await (const chunk of body) {
      n += chunk.length;
      hash.update(chunk);
    }
    if (n !== p.bytes.length) throw new IntegrityError(`GetObject returned ${n} bytes, ${p.bytes.length} were written`);
    if (hash.digest('hex') !== p.sha256) throw new IntegrityError('GetObject returned different bytes than were written (sha256 mismatch)');
  }

  /** Narrowed to this cycle's bucket name (prefix): on a server that honours it, one page with one
   *  bucket. Each page is an operation, as with ListObjectsV2; pages are read until `mustShow` is
   *  seen (a server that pages but ignores the prefix) and it must be in the listing by its end. */
  private async listBuckets(mustShow: string | undefined): Promise<void> {
    let token: string | undefined;
    for (let page = 1; ; page++) {
      const r = await this.op('ListBuckets', '', 0, undefined, async (signal) => {
        const p = await listBucketsPage(this.o.client.s3, this.bucket, token, signal);
        if (mustShow === undefined || p.names.includes(mustShow)) return undefined;
        if (p.next === undefined) throw new IntegrityError('ListBuckets does not show the bucket this cycle created');
        if (page >= MAX_BUCKET_PAGES) throw new IntegrityError(`ListBuckets did not end after ${page} pages`);
        return p.next;
      });
      if (!r.ok || r.value === undefined) return;
      token = r.value;
    }
  }

  /** Paginated listing of this cycle's prefix; each page is one ListObjectsV2 sample. */
  private async listAll(expected: string[], blockedBy: string | undefined): Promise<void> {
    const pageSize = this.t.listPageSize;
    const maxPages = Math.ceil(expected.length / pageSize) + 2; // a server that never ends the listing is lying
    const seen = new Set<string>();
    let token: string | undefined;
    for (let page = 1; ; page++) {
      const r = await this.op('ListObjectsV2', '', 0, blockedBy, async (signal) => {
        const out = await this.o.client.s3.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, MaxKeys: pageSize, ContinuationToken: token }),
          { abortSignal: signal },
        );
        for (const c of out.Contents ?? []) if (c.Key) seen.add(c.Key);
        if ((out.Contents?.length ?? 0) > pageSize) throw new IntegrityError(`ListObjectsV2 returned ${out.Contents?.length} keys for MaxKeys=${pageSize}`);
        const more = out.IsTruncated === true;
        if (more && !out.NextContinuationToken) throw new IntegrityError('ListObjectsV2 is truncated but has no continuation token');
        if (more && page >= maxPages) throw new IntegrityError(`ListObjectsV2 did not end after ${page} pages`);
        if (!more) {
          const missing = expected.filter((k) => !seen.has(k));
          if (missing.length) throw new IntegrityError(`ListObjectsV2 is missing ${missing.length} of ${expected.length} keys written this cycle`);
        }
        return more ? out.NextContinuationToken : undefined;
      });
      if (!r.ok || r.value === undefined) return;
      token = r.value;
    }
  }

  /** Runs one measured operation, or records it as skipped when a step it needs has failed. */
  private async op<T>(operation: Operation, size: string, bytes: number, blockedBy: string | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<Step<T>> {
    if (blockedBy !== undefined || this.shutdown) {
      this.skip(operation, size, this.shutdown ? 'shutdown' : blockedBy!);
      return FAILED;
    }
    // One controller for the deadline and shutdown. Not AbortSignal.any(): on Node 20 it leaves a
    // WeakRef per call on the long-lived shutdown signal (the soak grew ~1 KB per operation).
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(new Error(`${operation} exceeded ${this.o.timeoutMs} ms`));
    }, this.o.timeoutMs);
    // Shutdown cuts a read at once. A write gets a short grace first: aborted, its outcome is
    // unknown and the server may still apply it after the cleanup's delete (a bucket created after
    // its DeleteBucket said NoSuchBucket is a leftover no one tracks).
    const shutdown = this.o.signal;
    let grace: NodeJS.Timeout | undefined;
    const onShutdown = () => {
      if (READ_ONLY.has(operation)) abort.abort(shutdown?.reason);
      else grace = setTimeout(() => abort.abort(shutdown?.reason), SHUTDOWN_GRACE_MS);
    };
    if (shutdown?.aborted) onShutdown();
    else shutdown?.addEventListener('abort', onShutdown, { once: true });
    const signal = abort.signal;
    const traces: RequestTrace[] = [];
    const obs = this.o.observer;
    const scope = {
      target: this.t.name,
      operation,
      traces,
      onTrace: obs?.onTrace?.bind(obs),
      onCertificate: (d: Date) => obs?.onCertificate?.(this.t.name, d),
    };
    const startedAt = Date.now();
    const t0 = process.hrtime.bigint();
    try {
      const value = await withRequestScope(scope, () => fn(signal));
      const timing = operationTiming(t0, process.hrtime.bigint(), traces);
      this.record({ target: this.t.name, operation, outcome: 'success', size, bytes, ...timing, traces, startedAt });
      return { ok: true, value };
    } catch (err) {
      const durationSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (this.shutdown) {
        this.skip(operation, size, 'shutdown');
        return FAILED;
      }
      const f = classifyFailure(err, timedOut);
      this.record({
        target: this.t.name, operation, outcome: 'failure', size, bytes: 0, durationSeconds, traces, startedAt,
        reason: f.reason, errorCode: f.code, httpStatus: f.httpStatus, requestId: f.requestId, message: f.message,
      });
      this.o.logger.warn(
        { target: this.t.name, operation, reason: f.reason, code: f.code, httpStatus: f.httpStatus, requestId: f.requestId, size: size || undefined, durationSeconds },
        `${operation} failed: ${f.message}`,
      );
      return { ok: false, rejected: NEVER_SENT.has(f.reason) || (f.httpStatus !== undefined && f.httpStatus >= 400 && f.httpStatus < 500) };
    } finally {
      clearTimeout(timer);
      clearTimeout(grace);
      shutdown?.removeEventListener('abort', onShutdown);
    }
  }

  private skip(operation: Operation, size: string, because: string): void {
    this.record({ target: this.t.name, operation, outcome: 'skipped', size, bytes: 0, skippedBecause: because, traces: [], startedAt: Date.now() });
  }

  private record(r: OperationResult): void {
    this.results.push(r);
    this.o.observer?.onOperation?.(r);
  }

  /** Unmeasured removal with its own deadline: cleanup must work even during shutdown. */
  private async quiet(fn: (signal: AbortSignal) => Promise<unknown>): Promise<boolean> {
    try {
      await housekeeping(this.t.name, this.o.observer, () => fn(AbortSignal.timeout(this.o.timeoutMs)));
      return true;
    } catch {
      return false;
    }
  }

  private async removeRemainingKeys(): Promise<void> {
    const s3 = this.o.client.s3;
    for (const [Key, UploadId] of this.openUploads) {
      if (await this.quiet((signal) => s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }), { abortSignal: signal }).catch(notFoundIsGone))) {
        this.openUploads.delete(Key);
      }
    }
    for (const Key of this.mayExist) {
      if (await this.quiet((signal) => s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: signal }).catch(notFoundIsGone))) {
        this.mayExist.delete(Key);
      }
    }
  }

  private async cleanup(): Promise<void> {
    if (this.mayExist.size || this.openUploads.size) await this.removeRemainingKeys();
    for (const key of this.mayExist) this.o.leftovers.add({ bucket: this.bucket, key });
    for (const key of this.openUploads.keys()) this.o.leftovers.add({ bucket: this.bucket, key });
    if (this.t.bucket.mode === 'ephemeral' && this.bucketMayExist) {
      const gone = this.mayExist.size === 0 && (await this.quiet((signal) =>
        this.o.client.s3.send(new DeleteBucketCommand({ Bucket: this.bucket }), { abortSignal: signal }).catch(notFoundIsGone)));
      if (!gone) this.o.leftovers.add({ bucket: this.bucket });
    }
    if (this.o.leftovers.size) this.o.logger.warn({ target: this.t.name, leftovers: this.o.leftovers.size }, 'objects or buckets could not be removed; retrying next cycle');
  }

  /** Removes what earlier cycles could not, before creating anything new. */
  private async retryLeftovers(): Promise<void> {
    const s3 = this.o.client.s3;
    for (const l of this.o.leftovers.list()) {
      if (this.shutdown) return;
      const ok = await this.quiet(async (signal) => {
        if (l.key !== undefined) {
          // Abort any upload left open under this key, then the key itself.
          const ups = await s3.send(new ListMultipartUploadsCommand({ Bucket: l.bucket, Prefix: l.key }), { abortSignal: signal }).catch(() => undefined);
          for (const u of ups?.Uploads ?? []) {
            if (u.Key === l.key && u.UploadId) await s3.send(new AbortMultipartUploadCommand({ Bucket: l.bucket, Key: l.key, UploadId: u.UploadId }), { abortSignal: signal });
          }
          await s3.send(new DeleteObjectCommand({ Bucket: l.bucket, Key: l.key }), { abortSignal: signal }).catch(notFoundIsGone);
        } else {
          await s3.send(new DeleteBucketCommand({ Bucket: l.bucket }), { abortSignal: signal }).catch(notFoundIsGone);
        }
      });
      if (ok) this.o.leftovers.remove(l);
    }
  }
}

/** Runs requests that are not measurements (cleanup, sweeps) in a scope that says so: the wire
 *  tracer still claims their exchanges, nothing is recorded as an operation. */
export function housekeeping<T>(target: string, observer: CycleObserver | undefined, fn: () => Promise<T>): Promise<T> {
  return withRequestScope({ target, operation: 'housekeeping', traces: [], measured: false, onTrace: observer?.onTrace?.bind(observer) }, fn);
}

/** Failures that happen before a request reaches the server. */
const NEVER_SENT = new Set(['dns', 'connection_refused', 'tls']);

/** For removals: a missing key, upload or bucket is already gone. */
function notFoundIsGone(e: { name?: string; $metadata?: { httpStatusCode?: number } }): void {
  if (e.name === 'NoSuchBucket' || e.name === 'NoSuchKey' || e.name === 'NoSuchUpload' || e.$metadata?.httpStatusCode === 404) return;
  throw e;
}
