// Looks at the real store after a test: what did the prober leave behind?
import { ListBucketsCommand, ListObjectsV2Command, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';

/** Buckets whose name starts with prefix (the prober's ephemeral buckets). */
export async function bucketsWithPrefix(s3: S3Client, prefix: string): Promise<string[]> {
  const r = await s3.send(new ListBucketsCommand({}));
  return (r.Buckets ?? []).map((b) => b.Name ?? '').filter((n) => n.startsWith(prefix));
}

/** Every key and open multipart upload under prefix in bucket. */
export async function keysUnder(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const c of r.Contents ?? []) keys.push(c.Key!);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  const ups = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  for (const u of ups.Uploads ?? []) keys.push(`(upload) ${u.Key}`);
  return keys;
}
