// One canary cycle against one target: the sequence of S3 steps. Each operation is measured on its
// own (measure.ts); steps that depend on a failed one are skipped and counted as skipped. Whatever
// the cycle created is removed in all cases (cleanup.ts); what cannot be removed goes to the leftovers.
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand,
  PutObjectCommand, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { TargetConfig } from '../config/schema.js';
import { formatBytes } from '../config/units.js';
import { nowNs, secondsBetween } from '../results/clock.js';
import type { CycleResult } from '../results/cycle.js';
import type { Operation } from '../results/operations.js';
import type { SpanIds } from '../results/trace-context.js';
import type { TargetClient } from '../s3/client.js';
import { errorMessage, IntegrityError } from './classify.js';
import { CycleCleanup, type CreatedState } from './cleanup.js';
import type { LeftoverStore } from './leftovers.js';
import { OperationMeasurer, type Step } from './measure.js';
import { listBuckets, listKeys } from './listing.js';
import { cycleId, cycleKeyPrefix, ephemeralBucketName } from './naming.js';
import type { CycleObserver } from './observer.js';
import { isMultipart } from './plan.js';
import { makePayload, type Payload } from './payload.js';

export interface CycleOptions {
  target: TargetConfig;
  /** The node the client is pinned to (address:port), when the target probes its nodes. */
  node?: string | undefined;
  client: TargetClient;
  leftovers: LeftoverStore;
  logger: Logger;
  observer?: CycleObserver | undefined;
  /** Aborts the cycle (shutdown); cleanup still runs with its own deadlines. */
  signal?: AbortSignal | undefined;
}

export function runCycle(opts: CycleOptions): Promise<CycleResult> {
  return new Cycle(opts).run();
}

class Cycle {
  private readonly id = cycleId();
  private readonly target: TargetConfig;
  private readonly prefix: string;
  private readonly created: CreatedState;
  private readonly measurer: OperationMeasurer;
  private readonly span: SpanIds | undefined;
  private readonly cleanup: CycleCleanup;
  /** The step being prepared: what a crash of the cycle's own code is counted against. */
  private step: { operation: Operation; size: string } = { operation: 'CreateBucket', size: '' };

  constructor(private readonly opts: CycleOptions) {
    const t = opts.target;
    this.target = t;
    const bucket = t.bucket.mode === 'fixed' ? t.bucket.name : ephemeralBucketName(t.bucket.prefix, t.name, this.id);
    this.created = { bucket, mayExist: new Set(), openUploads: new Map(), bucketMayExist: false };
    this.prefix = cycleKeyPrefix(t.keyPrefix, t.name, this.id);
    const common = { target: t.name, node: opts.node, timeoutMs: t.timeout, logger: opts.logger, observer: opts.observer };
    this.span = opts.observer?.traceCycle?.(t.name, opts.node);
    this.measurer = new OperationMeasurer({ ...common, signal: opts.signal, trace: this.span });
    this.cleanup = new CycleCleanup({ ...common, client: opts.client, leftovers: opts.leftovers });
  }

  private get bucket(): string {
    return this.created.bucket;
  }

  private get s3() {
    return this.opts.client.s3;
  }

  private op<T>(operation: Operation, size: string, bytes: number, blockedBy: string | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<Step<T>> {
    this.step = { operation, size };
    return this.measurer.run(operation, size, bytes, blockedBy, fn);
  }

  async run(): Promise<CycleResult> {
    const startedAt = Date.now();
    const t0 = nowNs();
    let internalError: string | undefined;
    try {
      await this.cleanup.retryLeftovers(() => this.measurer.shutdown);
      // Every cycle measures a cold start (connect, TLS handshake, certificate) on its first
      // request; the rest of the cycle runs warm on kept-alive connections.
      this.opts.client.closeIdleConnections();
      await this.steps();
    } catch (err) {
      // a bug of ours, not the server's: counted against the step it hit, and the cycle fails
      this.measurer.crashed(this.step.operation, this.step.size, err);
      internalError = errorMessage(err);
    } finally {
      await this.cleanup.finish(this.created, this.target.bucket.mode === 'ephemeral');
    }
    const operations = this.measurer.results;
    const aborted = this.measurer.shutdown;
    return {
      target: this.target.name,
      ...(this.opts.node === undefined ? {} : { node: this.opts.node }),
      cycleId: this.id,
      bucket: this.bucket,
      keyPrefix: this.prefix,
      startedAt,
      startNs: t0,
      durationSeconds: secondsBetween(t0, nowNs()),
      success: !operations.some((r) => r.outcome === 'failure') && !aborted,
      operations,
      leftovers: this.opts.leftovers.size,
      aborted,
      ...(internalError === undefined ? {} : { internalError }),
      ...(this.span ? { span: this.span } : {}),
    };
  }

  private async steps(): Promise<void> {
    const Bucket = this.bucket;
    const ephemeral = this.target.bucket.mode === 'ephemeral';

    let noBucket: string | undefined;
    if (ephemeral) {
      this.created.bucketMayExist = true;
      const r = await this.op('CreateBucket', '', 0, undefined, (signal) => this.s3.send(new CreateBucketCommand({ Bucket }), { abortSignal: signal }));
      if (!r.ok) noBucket = 'CreateBucket';
      // Never remove a bucket the server refused to create for us (it may even be someone else's).
      if (!r.ok && r.rejected) this.created.bucketMayExist = false;
    }

    const stored = await this.sizedObjects(noBucket);

    // A batch of small objects: exercises listing pagination and the batch delete.
    const batchSize = Math.min(...this.target.objectSizes, 64 * 1024);
    const batchLabel = formatBytes(batchSize);
    const batch: string[] = [];
    for (let i = 0; i < this.target.batchSize; i++) {
      const key = `${this.prefix}batch/${String(i).padStart(4, '0')}`;
      if (await this.put(key, batchLabel, makePayload(batchSize), noBucket)) batch.push(key);
    }

    const expected = [...stored.map((s) => s.key), ...batch];
    await listKeys(this.measurer, this.s3, {
      bucket: Bucket, prefix: this.prefix, pageSize: this.target.listPageSize, expected,
      blockedBy: noBucket ?? (expected.length ? undefined : 'PutObject'),
    });

    if (this.target.steps.listBuckets) await listBuckets(this.measurer, this.s3, this.bucket, ephemeral && !noBucket ? Bucket : undefined);

    await this.deleteOneByOne(stored);

    if (this.target.steps.batchDelete) await this.deleteBatch(batch, batchLabel, noBucket);
    else await this.deleteOneByOne(batch.map((key) => ({ key, size: batchLabel })));

    if (ephemeral) {
      await this.cleanup.removeKeys(this.created); // a bucket only goes once it is empty
      const r = await this.op('DeleteBucket', '', 0, noBucket, (signal) => this.s3.send(new DeleteBucketCommand({ Bucket }), { abortSignal: signal }));
      if (r.ok) this.created.bucketMayExist = false;
    }
  }

  private async deleteOneByOne(objects: { key: string; size: string }[]): Promise<void> {
    for (const s of objects) {
      const r = await this.op('DeleteObject', s.size, 0, undefined, (signal) => this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: s.key }), { abortSignal: signal }));
      if (r.ok) this.created.mayExist.delete(s.key);
    }
  }

  /** One DeleteObjects call for the batch; what it leaves, clean-up deletes key by key. */
  private async deleteBatch(batch: string[], batchLabel: string, noBucket: string | undefined): Promise<void> {
    const Bucket = this.bucket;
    await this.op('DeleteObjects', batchLabel, 0, batch.length ? undefined : (noBucket ?? 'PutObject'), async (signal) => {
      const r = await this.s3.send(
        new DeleteObjectsCommand({ Bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: false } }),
        { abortSignal: signal },
      );
      for (const d of r.Deleted ?? []) if (d.Key) this.created.mayExist.delete(d.Key);
      const errs = r.Errors ?? [];
      if (errs.length) {
        throw Object.assign(new Error(`DeleteObjects failed for ${errs.length} of ${batch.length} keys: ${errs[0]?.Code ?? 'unknown'}`), { name: errs[0]?.Code ?? 'DeleteObjectsError' });
      }
      if ((r.Deleted ?? []).length !== batch.length) throw new IntegrityError(`DeleteObjects confirmed ${(r.Deleted ?? []).length} of ${batch.length} keys`);
    });
  }

  /** Per object size: write, head, read back and verify every byte. Returns what was stored. */
  private async sizedObjects(noBucket: string | undefined): Promise<{ key: string; size: string }[]> {
    const stored: { key: string; size: string }[] = [];
    for (const size of this.target.objectSizes) {
      const label = formatBytes(size);
      const key = `${this.prefix}obj-${label}`;
      const multipart = isMultipart(this.target, size);
      this.step = { operation: multipart ? 'CreateMultipartUpload' : 'PutObject', size: label };
      const payload = makePayload(size);
      const ok = multipart ? await this.multipartUpload(key, label, payload, noBucket) : await this.put(key, label, payload, noBucket);
      const notStored = ok ? undefined : (noBucket ?? (multipart ? 'CompleteMultipartUpload' : 'PutObject'));
      await this.op('HeadObject', label, 0, notStored, async (signal) => {
        const h = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
        if (h.ContentLength !== size) throw new IntegrityError(`HeadObject reports ${h.ContentLength} bytes, ${size} were written`);
      });
      await this.op('GetObject', label, size, notStored, (signal) => this.getAndVerify(key, payload, signal));
      if (ok) stored.push({ key, size: label });
    }
    return stored;
  }

  private async put(key: string, label: string, p: Payload, blockedBy: string | undefined): Promise<boolean> {
    const r = await this.op('PutObject', label, p.bytes.length, blockedBy, (signal) => {
      this.created.mayExist.add(key);
      return this.s3.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: p.bytes, ContentLength: p.bytes.length }),
        { abortSignal: signal },
      );
    });
    if (!r.ok && r.rejected) this.created.mayExist.delete(key);
    return r.ok;
  }

  private async multipartUpload(key: string, label: string, p: Payload, blockedBy: string | undefined): Promise<boolean> {
    const Bucket = this.bucket;
    const created = await this.op('CreateMultipartUpload', label, 0, blockedBy, async (signal) => {
      const r = await this.s3.send(new CreateMultipartUploadCommand({ Bucket, Key: key }), { abortSignal: signal });
      if (!r.UploadId) throw new IntegrityError('CreateMultipartUpload returned no UploadId');
      return r.UploadId;
    });
    if (!created.ok) {
      // Later multipart steps depend on it: count them as skipped.
      const why = blockedBy ?? 'CreateMultipartUpload';
      this.measurer.skip('UploadPart', label, why);
      this.measurer.skip('CompleteMultipartUpload', label, why);
      return false;
    }
    const UploadId = created.value;
    this.created.openUploads.set(key, UploadId);
    const partSize = this.target.multipart.partSize;
    const parts: { ETag: string; PartNumber: number }[] = [];
    let failed: string | undefined;
    for (let off = 0, n = 1; off < p.bytes.length; off += partSize, n++) {
      const body = p.bytes.subarray(off, Math.min(off + partSize, p.bytes.length));
      const r = await this.op('UploadPart', label, body.length, failed, async (signal) => {
        const u = await this.s3.send(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber: n, Body: body, ContentLength: body.length }), { abortSignal: signal });
        if (!u.ETag) throw new IntegrityError(`UploadPart ${n} returned no ETag`);
        return u.ETag;
      });
      if (r.ok) parts.push({ ETag: r.value, PartNumber: n });
      else failed ??= 'UploadPart';
    }
    this.created.mayExist.add(key);
    const done = await this.op('CompleteMultipartUpload', label, 0, failed, (signal) =>
      this.s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }), { abortSignal: signal }),
    );
    if (done.ok) {
      this.created.openUploads.delete(key);
      return true;
    }
    const aborted = await this.op('AbortMultipartUpload', label, 0, undefined, (signal) =>
      this.s3.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId }), { abortSignal: signal }),
    );
    if (aborted.ok) this.created.openUploads.delete(key);
    return false;
  }

  private async getAndVerify(key: string, p: Payload, signal: AbortSignal): Promise<void> {
    const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
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
}
