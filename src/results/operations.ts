// The vocabulary of operation results: which S3 operation, how it ended, and why it failed. These
// strings are label values: dashboards, alerts and README's tables depend on them.

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
  'unsupported',
  'internal',
  'other',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export const OUTCOMES = ['success', 'failure', 'skipped'] as const;
export type Outcome = (typeof OUTCOMES)[number];
