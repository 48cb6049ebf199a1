// The cycle's listings: its own keys page by page (ListObjectsV2) and its own bucket (ListBuckets).
// Each page is one measured operation; a server whose listing never ends or misses what the cycle
// wrote fails with reason integrity.
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { listBucketsPage, MAX_BUCKET_PAGES } from './bucket-listing.js';
import { IntegrityError } from './classify.js';
import type { OperationMeasurer } from './measure.js';

export interface KeyListing {
  bucket: string;
  prefix: string;
  /** MaxKeys of each page. */
  pageSize: number;
  /** Every key written this cycle: each must be listed. */
  expected: string[];
  blockedBy: string | undefined;
}

/** Paginated listing of the cycle's prefix; each page is one ListObjectsV2 sample. */
export async function listKeys(m: OperationMeasurer, s3: S3Client, l: KeyListing): Promise<void> {
  const maxPages = Math.ceil(l.expected.length / l.pageSize) + 2; // a server that never ends the listing is lying
  const seen = new Set<string>();
  let token: string | undefined;
  for (let page = 1; ; page++) {
    const r = await m.run('ListObjectsV2', '', 0, l.blockedBy, async (signal) => {
      const out = await s3.send(
        new ListObjectsV2Command({ Bucket: l.bucket, Prefix: l.prefix, MaxKeys: l.pageSize, ContinuationToken: token }),
        { abortSignal: signal },
      );
      for (const c of out.Contents ?? []) if (c.Key) seen.add(c.Key);
      if ((out.Contents?.length ?? 0) > l.pageSize) throw new IntegrityError(`ListObjectsV2 returned ${out.Contents?.length} keys for MaxKeys=${l.pageSize}`);
      const more = out.IsTruncated === true;
      if (more && !out.NextContinuationToken) throw new IntegrityError('ListObjectsV2 is truncated but has no continuation token');
      if (more && page >= maxPages) throw new IntegrityError(`ListObjectsV2 did not end after ${page} pages`);
      if (!more) {
        const missing = l.expected.filter((k) => !seen.has(k));
        if (missing.length) throw new IntegrityError(`ListObjectsV2 is missing ${missing.length} of ${l.expected.length} keys written this cycle`);
      }
      return more ? out.NextContinuationToken : undefined;
    });
    if (!r.ok || r.value === undefined) return;
    token = r.value;
  }
}

/** Narrowed to the cycle's bucket name (prefix): on a server that honours it, one page with one
 *  bucket. Pages are read until `mustShow` is seen (a server that pages but ignores the prefix)
 *  and it must be in the listing by its end. */
export async function listBuckets(m: OperationMeasurer, s3: S3Client, prefix: string, mustShow: string | undefined): Promise<void> {
  let token: string | undefined;
  for (let page = 1; ; page++) {
    const r = await m.run('ListBuckets', '', 0, undefined, async (signal) => {
      const p = await listBucketsPage(s3, prefix, token, signal);
      if (mustShow === undefined || p.names.includes(mustShow)) return undefined;
      if (p.next === undefined) throw new IntegrityError('ListBuckets does not show the bucket this cycle created');
      if (page >= MAX_BUCKET_PAGES) throw new IntegrityError(`ListBuckets did not end after ${page} pages`);
      return p.next;
    });
    if (!r.ok || r.value === undefined) return;
    token = r.value;
  }
}
