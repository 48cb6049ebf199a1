// Which operations a target's cycle runs, decided by its config alone.
import type { TargetConfig } from '../config/schema.js';
import { OPERATIONS, type Operation } from '../results/operations.js';

/** Operations that change nothing in the store. */
export const READ_ONLY: ReadonlySet<Operation> = new Set(['HeadObject', 'GetObject', 'ListObjectsV2', 'ListBuckets']);

const MULTIPART: readonly Operation[] = ['CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'AbortMultipartUpload'];
const BUCKET_LIFECYCLE: readonly Operation[] = ['CreateBucket', 'DeleteBucket'];

/** Whether an object of this size is written by multipart upload (one rule for cycle and metrics). */
export function isMultipart(t: Pick<TargetConfig, 'multipart' | 'steps'>, size: number): boolean {
  return t.steps.multipart && size >= t.multipart.threshold;
}

/** The operations a target's cycle can run: multipart only with a size at or above the threshold,
 *  bucket creation only in ephemeral mode, none of the steps the config turned off. Series are
 *  created for these, not for all of them. */
export function operationsOf(t: Pick<TargetConfig, 'bucket' | 'objectSizes' | 'multipart' | 'steps'>): Operation[] {
  const multipart = t.objectSizes.some((s) => isMultipart(t, s));
  const off = new Set<Operation>([
    ...(multipart ? [] : MULTIPART),
    ...(t.bucket.mode === 'ephemeral' ? [] : BUCKET_LIFECYCLE),
    ...(t.steps.batchDelete ? [] : ['DeleteObjects' as const]),
    ...(t.steps.listBuckets ? [] : ['ListBuckets' as const]),
  ]);
  return OPERATIONS.filter((op) => !off.has(op));
}
