// The S3 API names used as the `operation` label. Dashboards and alerts depend on these strings.
import type { TargetConfig } from '../config/schema.js';

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

/** Operations that change nothing in the store. */
export const READ_ONLY: ReadonlySet<Operation> = new Set(['HeadObject', 'GetObject', 'ListObjectsV2', 'ListBuckets']);

const MULTIPART: readonly Operation[] = ['CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'AbortMultipartUpload'];
const BUCKET_LIFECYCLE: readonly Operation[] = ['CreateBucket', 'DeleteBucket'];

/** Whether an object of this size is written by multipart upload (one rule for cycle and metrics). */
export function isMultipart(t: Pick<TargetConfig, 'multipart'>, size: number): boolean {
  return size >= t.multipart.threshold;
}

/** The operations a target's cycle can run: multipart only with a size at or above the threshold,
 *  bucket creation only in ephemeral mode. Series are created for these, not for all 13. */
export function operationsOf(t: Pick<TargetConfig, 'bucket' | 'objectSizes' | 'multipart'>): Operation[] {
  const multipart = t.objectSizes.some((s) => isMultipart(t, s));
  return OPERATIONS.filter((op) => (multipart || !MULTIPART.includes(op)) && (t.bucket.mode === 'ephemeral' || !BUCKET_LIFECYCLE.includes(op)));
}

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
