// ListBuckets, paginated and narrowed to the prober's own names. AWS rejects unpaginated
// ListBuckets on accounts allowed more than 10,000 buckets, and a whole-account listing each cycle
// costs the server (and the prober's XML parser) in proportion to every bucket it holds. Servers
// without the parameters (the tests' Ceph RGW 16) answer with everything and no token: one page.
import { ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import { IntegrityError } from './classify.js';

/** Buckets asked for per page (AWS accepts 1-10,000). */
const BUCKET_PAGE_SIZE = 1000;
/** More pages than this is a listing that does not end (a million buckets at full pages). */
export const MAX_BUCKET_PAGES = 1000;

export interface BucketPage {
  names: string[];
  /** Token of the next page; undefined on the last one. */
  next?: string;
}

export async function listBucketsPage(s3: S3Client, prefix: string, token: string | undefined, signal: AbortSignal): Promise<BucketPage> {
  const out = await s3.send(new ListBucketsCommand({ Prefix: prefix, MaxBuckets: BUCKET_PAGE_SIZE, ContinuationToken: token }), { abortSignal: signal });
  const names = (out.Buckets ?? []).map((b) => b.Name ?? '');
  const next = out.ContinuationToken || undefined;
  if (next !== undefined && next === token) throw new IntegrityError('ListBuckets returned the continuation token it was given: the listing would never end');
  return next === undefined ? { names } : { names, next };
}
