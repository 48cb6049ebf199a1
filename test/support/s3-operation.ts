// Names the S3 API operation of a path-style request, so tests can aim a fault at one operation
// (e.g. only GetObject) without knowing the wire format. Virtual-hosted style is not used here.

export function s3Operation(method: string, path: string, query: URLSearchParams, copySource = false): string {
  const segments = path.split('?')[0]!.split('/').filter((s) => s !== '');
  const m = method.toUpperCase();
  if (segments.length === 0) return m === 'GET' ? 'ListBuckets' : 'Unknown';
  if (segments.length === 1) {
    if (m === 'PUT') return query.size === 0 ? 'CreateBucket' : 'PutBucketSubresource';
    if (m === 'DELETE') return query.size === 0 ? 'DeleteBucket' : 'DeleteBucketSubresource';
    if (m === 'HEAD') return 'HeadBucket';
    if (m === 'POST' && query.has('delete')) return 'DeleteObjects';
    if (m === 'GET') {
      if (query.get('list-type') === '2') return 'ListObjectsV2';
      if (query.has('uploads')) return 'ListMultipartUploads';
      if (query.has('location')) return 'GetBucketLocation';
      if (query.has('versions')) return 'ListObjectVersions';
      return query.size === 0 || query.has('prefix') || query.has('marker') ? 'ListObjects' : 'GetBucketSubresource';
    }
    return 'Unknown';
  }
  const upload = query.has('uploadId');
  switch (m) {
    case 'PUT':
      if (upload && query.has('partNumber')) return copySource ? 'UploadPartCopy' : 'UploadPart';
      return copySource ? 'CopyObject' : 'PutObject';
    case 'GET': return upload ? 'ListParts' : 'GetObject';
    case 'HEAD': return 'HeadObject';
    case 'DELETE': return upload ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'POST':
      if (query.has('uploads')) return 'CreateMultipartUpload';
      if (upload) return 'CompleteMultipartUpload';
      return 'Unknown';
    default: return 'Unknown';
  }
}

const DEFAULT_CODES: Record<number, [string, string]> = {
  400: ['InvalidRequest', 'Invalid Request'],
  403: ['AccessDenied', 'Access Denied'],
  404: ['NoSuchKey', 'The specified key does not exist.'],
  405: ['MethodNotAllowed', 'The specified method is not allowed against this resource.'],
  409: ['OperationAborted', 'A conflicting conditional operation is in progress.'],
  429: ['TooManyRequests', 'Please reduce your request rate.'],
  500: ['InternalError', 'We encountered an internal error. Please try again.'],
  501: ['NotImplemented', 'A header you provided implies functionality that is not implemented.'],
  503: ['SlowDown', 'Please reduce your request rate.'],
};

/** The error code S3 uses for a status, e.g. 503 -> SlowDown, 500 -> InternalError. */
export function defaultS3ErrorCode(status: number): { code: string; message: string } {
  const [code, message] = DEFAULT_CODES[status] ?? ['InternalError', `Injected HTTP ${status}`];
  return { code, message };
}

const xmlEscape = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** An S3 error document as RGW/AWS send it. */
export function s3ErrorXml(code: string, message: string, resource: string, requestId: string): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>` +
    `<Resource>${xmlEscape(resource)}</Resource><RequestId>${xmlEscape(requestId)}</RequestId>` +
    '<HostId>s3prober-fault-proxy</HostId></Error>';
}
