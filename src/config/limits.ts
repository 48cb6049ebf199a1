// Limits on object sizes and multipart parts: the schema, its messages and the tests derive from these.

/** The largest object the prober writes: each payload is held in memory, one per target writing at
 *  once, and Node's randomBytes (which makes it) refuses 2 GiB and more. */
export const MAX_OBJECT_SIZE = 1024 ** 3;

/** S3's smallest multipart part (every part but the last) and its most parts in one upload. */
export const S3_MIN_PART_SIZE = 5 * 1024 ** 2;
export const S3_MAX_PARTS = 10_000;

/** Parts at least this big keep even the largest object within S3_MAX_PARTS parts. */
export const MIN_PART_SIZE = Math.max(S3_MIN_PART_SIZE, Math.ceil(MAX_OBJECT_SIZE / S3_MAX_PARTS));
