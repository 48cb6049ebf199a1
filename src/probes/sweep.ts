// Removes what earlier runs left under the prober's own prefix (e.g. after a kill -9 mid-cycle):
// ephemeral buckets whose name is exactly <prefix>-<target tag>-<cycle id>, and keys under <keyPrefix><target>/.
// Nothing outside those names is ever touched.
import {
  AbortMultipartUploadCommand, DeleteBucketCommand, DeleteObjectsCommand,
  ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client,
} from '@aws-sdk/client-s3';
import type { TargetConfig } from '../config/schema.js';
import { listBucketsPage, MAX_BUCKET_PAGES } from './bucket-listing.js';
import { cycleTime, ownBucketPrefix, targetKeyPrefix } from './naming.js';

export interface SweepResult {
  buckets: string[];
  keys: number;
  uploads: number;
  /** What could not be removed, with why. */
  errors: string[];
}

export interface SweepOptions {
  /** Only remove what is at least this old (by the time in its cycle id); 0: everything. */
  olderThanMs: number;
  timeoutMs: number;
  now?: Date;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function ownBucketPattern(prefix: string, target: string): RegExp {
  return new RegExp(`^${escapeRegExp(ownBucketPrefix(prefix, target))}\\d{8}t\\d{6}z-[0-9a-f]{6}$`);
}

export async function sweep(s3: S3Client, t: TargetConfig, o: SweepOptions): Promise<SweepResult> {
  const res: SweepResult = { buckets: [], keys: 0, uploads: 0, errors: [] };
  const now = (o.now ?? new Date()).getTime();
  const oldEnough = (name: string) => {
    const at = cycleTime(name);
    return at !== undefined && now - at.getTime() >= o.olderThanMs;
  };
  const signal = () => AbortSignal.timeout(o.timeoutMs);
  const note = (what: string, e: unknown) => res.errors.push(`${what}: ${(e as Error).name ?? ''} ${(e as Error).message ?? e}`.trim());

  if (t.bucket.mode === 'ephemeral') {
    const pattern = ownBucketPattern(t.bucket.prefix, t.name);
    const names: string[] = [];
    try {
      let token: string | undefined;
      for (let page = 1; ; page++) {
        const p = await listBucketsPage(s3, ownBucketPrefix(t.bucket.prefix, t.name), token, signal());
        names.push(...p.names.filter((n) => pattern.test(n) && oldEnough(n)));
        if (p.next === undefined) break;
        if (page >= MAX_BUCKET_PAGES) throw new Error(`the listing did not end after ${page} pages`);
        token = p.next;
      }
    } catch (e) {
      note('ListBuckets', e); // what the pages before it listed is still swept
    }
    for (const bucket of names) {
      const before = res.errors.length;
      await emptyPrefix(s3, bucket, '', () => true, res, signal, note);
      if (res.errors.length > before) continue;
      try {
        await s3.send(new DeleteBucketCommand({ Bucket: bucket }), { abortSignal: signal() });
        res.buckets.push(bucket);
      } catch (e) {
        note(`DeleteBucket ${bucket}`, e);
      }
    }
  } else {
    // Keys are <keyPrefix><target>/<cycle id>/...: the cycle id's time decides the age.
    await emptyPrefix(s3, t.bucket.name, targetKeyPrefix(t.keyPrefix, t.name), oldEnough, res, signal, note);
  }
  return res;
}

async function emptyPrefix(
  s3: S3Client, Bucket: string, Prefix: string, keep: (key: string) => boolean, res: SweepResult,
  signal: () => AbortSignal, note: (what: string, e: unknown) => void,
): Promise<void> {
  try {
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    do {
      const r = await s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix, KeyMarker, UploadIdMarker }), { abortSignal: signal() });
      for (const u of r.Uploads ?? []) {
        if (!u.Key || !u.UploadId || !keep(u.Key)) continue;
        await s3.send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId }), { abortSignal: signal() });
        res.uploads++;
      }
      [KeyMarker, UploadIdMarker] = r.IsTruncated ? [r.NextKeyMarker, r.NextUploadIdMarker] : [undefined, undefined];
    } while (KeyMarker);
    let token: string | undefined;
    do {
      const r = await s3.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken: token }), { abortSignal: signal() });
      const keys = (r.Contents ?? []).map((c) => c.Key ?? '').filter((k) => k && keep(k));
      if (keys.length) {
        const d = await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }), { abortSignal: signal() });
        for (const e of d.Errors ?? []) note(`DeleteObjects ${Bucket}/${e.Key}`, Object.assign(new Error(e.Message ?? ''), { name: e.Code }));
        res.keys += keys.length - (d.Errors?.length ?? 0);
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  } catch (e) {
    note(`emptying ${Bucket}/${Prefix}`, e);
  }
}
