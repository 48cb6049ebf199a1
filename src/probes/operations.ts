// The S3 API names used as the `operation` label. Dashboards and alerts depend on these strings.
export const OPERATIONS = [
  'CreateBucket',
  'PutObject',
  'HeadObject',
  'GetObject',
  'ListObjectsV2',
  'ListBuckets',
  'DeleteObject',
  'DeleteObjects',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'DeleteBucket',
] as const;
export type Operation = (typeof OPERATIONS)[number];

// A fixed, documented set: cardinality never depends on what a server answers.
export const FAILURE_REASONS = [
  'timeout',
  'dns',
  'connection_refused',
  'connection_reset',
  'tls',
  'auth',
  'throttled',
  'server_error',
  'client_error',
  'not_found',
  'integrity',
  'other',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export type Outcome = 'success' | 'failure' | 'skipped';
