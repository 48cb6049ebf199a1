// The requests of the durability and replication checks, each one measured and classified like the
// canary's: verify an object (HeadObject, then GetObject with every byte compared), write one,
// delete one, list the durable set, create its bucket. A request that answers counts as a success even when what it found is wrong: the
// verdict says so, and the caller counts it.
import {
  CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, type HeadObjectCommandOutput, ListObjectsV2Command, PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { MAX_DURABLE_OBJECTS } from '../config/durability.js';
import { formatBytes } from '../config/units.js';
import type { DurableState } from '../results/durability.js';
import { IntegrityError, isNotFound } from './classify.js';
import type { DurableSet } from './durable-set.js';
import type { OperationMeasurer } from './measure.js';

/** One page lists this many keys (S3's most). */
const LIST_PAGE = 1000;

export interface DurableStore {
  m: OperationMeasurer;
  s3: S3Client;
  bucket: string;
}

export interface ObjectVerdict {
  state: DurableState;
  /** Epoch milliseconds of its Last-Modified, when the server gave one. */
  writtenAt?: number | undefined;
  /** What is wrong with a missing or corrupt object. */
  detail?: string;
}

const missing = (detail: string): ObjectVerdict => ({ state: 'missing', detail });
const corrupt = (detail: string): ObjectVerdict => ({ state: 'corrupt', detail });

/** HeadObject: its answer, or 'absent' (404); undefined when the request failed (the measurer has
 *  its reason) or shutdown cut it. */
export async function headObject(st: DurableStore, key: string, size: string): Promise<HeadObjectCommandOutput | 'absent' | undefined> {
  const head = await st.m.run('HeadObject', size, 0, undefined, async (signal) => {
    try {
      return await st.s3.send(new HeadObjectCommand({ Bucket: st.bucket, Key: key }), { abortSignal: signal });
    } catch (e) {
      if (isNotFound(e)) return 'absent' as const;
      throw e;
    }
  });
  return head.ok ? head.value : undefined;
}

/** HeadObject, then GetObject with every byte compared with `expected`; undefined when a request
 *  failed (the measurer has its reason) or shutdown cut it. */
export async function verifyObject(st: DurableStore, key: string, expected: Buffer): Promise<ObjectVerdict | undefined> {
  const size = formatBytes(expected.length);
  const head = await headObject(st, key, size);
  if (head === undefined) return undefined;
  if (head === 'absent') return missing('HeadObject: not found');
  const length = head.ContentLength;
  if (length !== expected.length) return corrupt(`HeadObject reports ${length} bytes, ${expected.length} were written`);
  const writtenAt = head.LastModified?.getTime();
  const get = await st.m.run('GetObject', size, expected.length, undefined, async (signal) => {
    try {
      const r = await st.s3.send(new GetObjectCommand({ Bucket: st.bucket, Key: key }), { abortSignal: signal });
      const body = r.Body as AsyncIterable<Uint8Array> | undefined;
      if (!body) throw new IntegrityError('GetObject returned no body');
      return await readAtMost(body, expected.length + 1);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  });
  if (!get.ok) return undefined;
  if (get.value === undefined) return missing('GetObject: not found (HeadObject had found it)');
  const difference = firstDifference(get.value, expected);
  return difference === undefined ? { state: 'ok', writtenAt } : corrupt(difference);
}

/** The body, but never more than `cap` bytes of it: a server may send anything. */
async function readAtMost(body: AsyncIterable<Uint8Array>, cap: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    n += chunk.byteLength;
    if (n >= cap) break;
  }
  return Buffer.concat(chunks).subarray(0, cap);
}

function firstDifference(got: Buffer, want: Buffer): string | undefined {
  const common = Math.min(got.length, want.length);
  for (let i = 0; i < common; i++) {
    if (got[i] !== want[i]) return `GetObject returned different bytes from byte ${i} on`;
  }
  if (got.length > want.length) return `GetObject returned more than the ${want.length} bytes written`;
  if (got.length < want.length) return `GetObject returned ${got.length} bytes, ${want.length} were written`;
  return undefined;
}

/** PutObject of `bytes`; 'no-bucket' when the bucket itself is gone. */
export async function writeObject(st: DurableStore, key: string, bytes: Buffer): Promise<'ok' | 'failed' | 'no-bucket'> {
  const r = await st.m.run('PutObject', formatBytes(bytes.length), bytes.length, undefined, (signal) =>
    st.s3.send(new PutObjectCommand({ Bucket: st.bucket, Key: key, Body: bytes, ContentLength: bytes.length }), { abortSignal: signal }));
  if (r.ok) return 'ok';
  return st.m.results.at(-1)?.errorCode === 'NoSuchBucket' ? 'no-bucket' : 'failed';
}

/** DeleteObject (S3 answers a key already gone with success too). */
export async function deleteObject(st: DurableStore, key: string): Promise<boolean> {
  const r = await st.m.run('DeleteObject', '', 0, undefined, (signal) =>
    st.s3.send(new DeleteObjectCommand({ Bucket: st.bucket, Key: key }), { abortSignal: signal }));
  return r.ok;
}

/** CreateBucket; one the caller already owns counts as created. */
export async function createBucket(st: DurableStore): Promise<boolean> {
  const r = await st.m.run('CreateBucket', '', 0, undefined, async (signal) => {
    try {
      await st.s3.send(new CreateBucketCommand({ Bucket: st.bucket }), { abortSignal: signal });
    } catch (e) {
      if ((e as Error).name !== 'BucketAlreadyOwnedByYou') throw e;
    }
  });
  return r.ok;
}

/** How many objects the set has had: one more than the highest index listed (the set is filled in
 *  index order, so every lower one was written). 'no-bucket' when the bucket does not exist;
 *  undefined when a page failed. */
export async function storedObjects(st: DurableStore, set: DurableSet): Promise<number | 'no-bucket' | undefined> {
  // a listing longer than the largest set can be is a server that never ends it
  const maxPages = Math.ceil(MAX_DURABLE_OBJECTS / LIST_PAGE) + 2;
  let stored = 0;
  let token: string | undefined;
  for (let page = 1; ; page++) {
    const r = await st.m.run('ListObjectsV2', '', 0, undefined, async (signal) => {
      try {
        const out = await st.s3.send(
          new ListObjectsV2Command({ Bucket: st.bucket, Prefix: set.prefix, MaxKeys: LIST_PAGE, ContinuationToken: token }),
          { abortSignal: signal },
        );
        for (const c of out.Contents ?? []) stored = Math.max(stored, (set.index(c.Key ?? '') ?? -1) + 1);
        const more = out.IsTruncated === true;
        if (more && !out.NextContinuationToken) throw new IntegrityError('ListObjectsV2 is truncated but has no continuation token');
        if (more && page >= maxPages) throw new IntegrityError(`ListObjectsV2 did not end after ${page} pages`);
        return more ? out.NextContinuationToken : '';
      } catch (e) {
        if ((e as Error).name === 'NoSuchBucket') return undefined;
        throw e;
      }
    });
    if (!r.ok) return undefined;
    if (r.value === undefined) return 'no-bucket';
    if (r.value === '') return stored;
    token = r.value;
  }
}
