// Removes what earlier runs left under the prober's own prefix (e.g. after a kill -9 mid-cycle):
// ephemeral buckets whose name is exactly <prefix>-<target tag>-<cycle id>, and keys under
// <keyPrefix><target>/. Nothing outside those names is ever touched. A server that lacks a call
// never blocks the rest: no ListMultipartUploads still deletes objects and buckets, no
// DeleteObjects deletes key by key. Every error names the S3 call that failed.
import {
  AbortMultipartUploadCommand, DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand,
  ListMultipartUploadsCommand, type ListMultipartUploadsCommandOutput, ListObjectsV2Command, type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CYCLE_ID_PATTERN } from '../config/bucket-name.js';
import type { ReplicationConfig } from '../config/replication.js';
import type { TargetConfig } from '../config/schema.js';
import { listBucketsPage, MAX_BUCKET_PAGES } from './bucket-listing.js';
import { classifyFailure, isNotFound } from './classify.js';
import type { Leftover } from './leftovers.js';
import { cycleTime, durableKeyPrefix, ownBucketPrefix, replicationKeyPrefix, targetKeyPrefix } from './naming.js';

export interface SweepResult {
  buckets: string[];
  keys: number;
  uploads: number;
  /** What could not be removed or listed, each naming the S3 call and why. */
  errors: string[];
  /** Calls the server does not offer or the config turned off, and what was done instead. */
  notes: string[];
  /** What is known to be left: the target's leftovers, retried by every cycle and counted. */
  remaining: Leftover[];
}

export interface SweepOptions {
  /** Only remove what is at least this old (by the time in its cycle id); 0: everything. */
  olderThanMs: number;
  timeoutMs: number;
  now?: Date;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function ownBucketPattern(prefix: string, target: string): RegExp {
  return new RegExp(`^${escapeRegExp(ownBucketPrefix(prefix, target))}${CYCLE_ID_PATTERN}$`);
}

/** "NotImplemented (HTTP 501): ..." from whatever a call threw. */
function describe(e: unknown): string {
  const f = classifyFailure(e, false);
  return `${f.code ?? 'error'}${f.httpStatus ? ` (HTTP ${f.httpStatus})` : ''}: ${f.message}`;
}

const unsupported = (e: unknown) => classifyFailure(e, false).reason === 'unsupported';

class Sweeper {
  readonly res: SweepResult = { buckets: [], keys: 0, uploads: 0, errors: [], notes: [], remaining: [] };
  /** Set once the server answered DeleteObjects with "not offered" or the config turned it off. */
  private perKeyDeletes: boolean;
  private readonly now: number;

  constructor(private readonly s3: S3Client, private readonly t: TargetConfig, private readonly opts: SweepOptions) {
    this.perKeyDeletes = !t.steps.batchDelete;
    this.now = (opts.now ?? new Date()).getTime();
  }

  private signal(): AbortSignal {
    return AbortSignal.timeout(this.opts.timeoutMs);
  }

  private error(call: string, what: string, e: unknown): void {
    this.res.errors.push(`${call} ${what}: ${describe(e)}`);
  }

  oldEnough(name: string): boolean {
    const at = cycleTime(name);
    return at !== undefined && this.now - at.getTime() >= this.opts.olderThanMs;
  }

  async buckets(prefix: string): Promise<void> {
    if (!this.t.steps.listBuckets) {
      this.res.notes.push('ListBuckets is turned off (steps.listBuckets: false): buckets of earlier runs cannot be found');
      return;
    }
    const pattern = ownBucketPattern(prefix, this.t.name);
    const names: string[] = [];
    try {
      let token: string | undefined;
      for (let page = 1; ; page++) {
        const p = await listBucketsPage(this.s3, ownBucketPrefix(prefix, this.t.name), token, this.signal());
        // never the target's durable set, even under a name like its own (config only keeps it out of fixed buckets)
        names.push(...p.names.filter((n) => pattern.test(n) && n !== this.t.durability?.bucket && this.oldEnough(n)));
        if (p.next === undefined) break;
        if (page >= MAX_BUCKET_PAGES) throw new Error(`the listing did not end after ${page} pages`);
        token = p.next;
      }
    } catch (e) {
      this.error('ListBuckets', ownBucketPrefix(prefix, this.t.name), e); // what the pages before it listed is still swept
    }
    for (const bucket of names) {
      if (!(await this.empty(bucket, '', () => true))) {
        this.res.remaining.push({ bucket });
        continue;
      }
      try {
        await this.s3.send(new DeleteBucketCommand({ Bucket: bucket }), { abortSignal: this.signal() });
        this.res.buckets.push(bucket);
      } catch (e) {
        if (isNotFound(e)) continue;
        this.error('DeleteBucket', bucket, e);
        this.res.remaining.push({ bucket });
      }
    }
  }

  /** Aborts the uploads and deletes the keys under the prefix that `keep` selects; true when
   *  every object listed is gone (open uploads the server cannot list do not count). */
  async empty(Bucket: string, Prefix: string, keep: (key: string) => boolean): Promise<boolean> {
    if (this.t.steps.multipart) await this.abortUploads(Bucket, Prefix, keep);
    let token: string | undefined;
    let clean = true;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.s3.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken: token }), { abortSignal: this.signal() });
      } catch (e) {
        if (isNotFound(e)) return true;
        this.error('ListObjectsV2', `${Bucket}/${Prefix}`, e);
        return false;
      }
      const keys = (page.Contents ?? []).map((c) => c.Key ?? '').filter((k) => k && keep(k));
      if (!(await this.deleteKeys(Bucket, keys))) clean = false;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return clean;
  }

  private async abortUploads(Bucket: string, Prefix: string, keep: (key: string) => boolean): Promise<void> {
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    do {
      let r: ListMultipartUploadsCommandOutput;
      try {
        r = await this.s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix, KeyMarker, UploadIdMarker }), { abortSignal: this.signal() });
      } catch (e) {
        if (isNotFound(e)) return;
        if (unsupported(e)) this.res.notes.push(`ListMultipartUploads ${Bucket}/${Prefix}: not offered by the server (${describe(e)}); open uploads cannot be listed, objects are still removed`);
        else this.error('ListMultipartUploads', `${Bucket}/${Prefix}`, e);
        return;
      }
      for (const u of r.Uploads ?? []) {
        if (!u.Key || !u.UploadId || !keep(u.Key)) continue;
        try {
          await this.s3.send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId }), { abortSignal: this.signal() });
          this.res.uploads++;
        } catch (e) {
          if (isNotFound(e)) continue;
          this.error('AbortMultipartUpload', `${Bucket}/${u.Key}`, e);
          this.res.remaining.push({ bucket: Bucket, key: u.Key });
        }
      }
      [KeyMarker, UploadIdMarker] = r.IsTruncated ? [r.NextKeyMarker, r.NextUploadIdMarker] : [undefined, undefined];
    } while (KeyMarker);
  }

  /** One DeleteObjects call, or key by key where the server lacks it; true when all are gone. */
  private async deleteKeys(Bucket: string, keys: string[]): Promise<boolean> {
    if (!keys.length) return true;
    let left = keys;
    if (!this.perKeyDeletes) {
      try {
        const d = await this.s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }), { abortSignal: this.signal() });
        const failed = new Set((d.Errors ?? []).map((e) => e.Key ?? ''));
        this.res.keys += keys.length - failed.size;
        left = keys.filter((k) => failed.has(k)); // retried one by one below
      } catch (e) {
        if (unsupported(e)) {
          this.perKeyDeletes = true;
          this.res.notes.push(`DeleteObjects ${Bucket}: not offered by the server (${describe(e)}); keys are deleted one by one`);
        } else {
          this.res.notes.push(`DeleteObjects ${Bucket}: failed (${describe(e)}); keys are deleted one by one`);
        }
      }
    }
    let clean = true;
    for (const Key of left) {
      try {
        await this.s3.send(new DeleteObjectCommand({ Bucket, Key }), { abortSignal: this.signal() });
        this.res.keys++;
      } catch (e) {
        if (isNotFound(e)) continue;
        clean = false;
        this.error('DeleteObject', `${Bucket}/${Key}`, e);
        this.res.remaining.push({ bucket: Bucket, key: Key });
      }
    }
    return clean;
  }
}

/** `cleanup --durable` only: removes the target's durable set (every key under its durable prefix,
 *  in its durable bucket), on purpose. The bucket stays: it may be the operator's, and shared. */
export async function removeDurableSet(s3: S3Client, t: TargetConfig, o: SweepOptions): Promise<SweepResult> {
  const s = new Sweeper(s3, t, o);
  if (t.durability) await s.empty(t.durability.bucket, durableKeyPrefix(t.keyPrefix, t.name), () => true);
  return s.res;
}

/** The keys of a replication at one side (`t`): every key under its prefix, in its bucket, whose
 *  write time (in the key) is at least olderThanMs old. The bucket stays: it is the operator's. */
export async function removeReplicationKeys(s3: S3Client, t: TargetConfig, r: ReplicationConfig, o: SweepOptions): Promise<SweepResult> {
  const s = new Sweeper(s3, t, o);
  await s.empty(r.bucket, replicationKeyPrefix(r.keyPrefix, r.name), (k) => s.oldEnough(k));
  return s.res;
}

export async function sweep(s3: S3Client, t: TargetConfig, o: SweepOptions): Promise<SweepResult> {
  const s = new Sweeper(s3, t, o);
  if (t.bucket.mode === 'ephemeral') await s.buckets(t.bucket.prefix);
  // Keys are <keyPrefix><target>/<cycle id>/...: the cycle id's time decides the age.
  else await s.empty(t.bucket.name, targetKeyPrefix(t.keyPrefix, t.name), (k) => s.oldEnough(k));
  return s.res;
}
