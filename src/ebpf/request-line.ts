// The S3 operation seen on the wire, from the request line (method, path, query), after the
// operation list of the s3slower seed. Path-style and virtual-hosted addressing cannot be told
// apart from the request line alone, so both readings are returned.
import type { WireOperation } from '../results/wire.js';

/** Query parameters that are not sub-resources: they never change the operation. */
const PLAIN_PARAMS = new Set([
  'x-id', 'versionid', 'prefix', 'delimiter', 'max-keys', 'continuation-token', 'start-after',
  'encoding-type', 'fetch-owner', 'marker', 'key-marker', 'upload-id-marker', 'max-uploads',
  'max-parts', 'part-number-marker', 'partnumber', 'list-type', 'max-buckets', 'bucket-region',
]);

function classify(method: string, bucket: boolean, key: boolean, q: Map<string, string>): string | undefined {
  const has = (k: string) => q.has(k);
  const subs = [...q.keys()].filter((k) => !PLAIN_PARAMS.has(k) && !k.startsWith('x-amz-') && !k.startsWith('response-'));
  if (!bucket) return method === 'GET' && subs.length === 0 ? 'ListBuckets' : undefined;
  if (!key) {
    switch (method) {
      case 'GET':
        if (has('uploads')) return 'ListMultipartUploads';
        if (has('versions')) return 'ListObjectVersions';
        if (has('location')) return 'GetBucketLocation';
        if (subs.length) return undefined;
        return q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      case 'PUT': return subs.length ? undefined : 'CreateBucket';
      case 'DELETE': return subs.length ? undefined : 'DeleteBucket';
      case 'HEAD': return 'HeadBucket';
      case 'POST': return has('delete') ? 'DeleteObjects' : undefined;
      default: return undefined;
    }
  }
  switch (method) {
    case 'GET':
      if (has('uploadid')) return 'ListParts';
      if (has('tagging')) return 'GetObjectTagging';
      if (has('acl')) return 'GetObjectAcl';
      return subs.length ? undefined : 'GetObject';
    case 'HEAD': return 'HeadObject';
    case 'PUT':
      if (has('uploadid') && has('partnumber')) return 'UploadPart';
      if (has('tagging')) return 'PutObjectTagging';
      if (has('acl')) return 'PutObjectAcl';
      return subs.length ? undefined : 'PutObject';
    case 'DELETE':
      if (has('uploadid')) return 'AbortMultipartUpload';
      if (has('tagging')) return 'DeleteObjectTagging';
      return subs.length ? undefined : 'DeleteObject';
    case 'POST':
      if (has('uploads')) return 'CreateMultipartUpload';
      if (has('uploadid')) return 'CompleteMultipartUpload';
      if (has('delete') && !key) return 'DeleteObjects';
      return undefined;
    default: return undefined;
  }
}

/**
 * Parses the start of an HTTP/1.x request. Returns undefined when the request line is missing or
 * was cut before its end (the query might hold the sub-resource that decides the operation).
 */
export function detectOperation(request: string): WireOperation | undefined {
  const eol = request.indexOf('\r\n');
  const line = eol >= 0 ? request.slice(0, eol) : request;
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(line);
  if (!m) return undefined;
  const method = m[1]!;
  const target = m[2]!;
  const qi = target.indexOf('?');
  const path = qi >= 0 ? target.slice(0, qi) : target;
  const q = new Map<string, string>();
  if (qi >= 0) {
    for (const part of target.slice(qi + 1).split('&')) {
      if (!part) continue;
      const ei = part.indexOf('=');
      q.set((ei >= 0 ? part.slice(0, ei) : part).toLowerCase(), ei >= 0 ? part.slice(ei + 1) : '');
    }
  }
  const xid = q.get('x-id'); // the AWS SDK names the operation itself on some requests
  const segs = path.split('/').filter((s) => s.length > 0);
  const pathStyle = classify(method, segs.length > 0, segs.length > 1, q);
  const virtual = classify(method, true, segs.length > 0, q);
  const candidates = xid ? [xid] : [...new Set([pathStyle, virtual].filter((c): c is string => c !== undefined))];
  return candidates.length ? { method, path, candidates } : undefined;
}
