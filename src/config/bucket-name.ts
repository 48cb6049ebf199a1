// A bucket name the config accepts: valid on AWS too (lowercase, digits, dots, hyphens; 3-63).
import { z } from 'zod';

export const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not a valid S3 bucket name');

/** A cycle id in a name, as src/probes/naming.ts makes it: UTC time and 6 hex digits. */
export const CYCLE_ID_PATTERN = '\\d{8}t\\d{6}z-[0-9a-f]{6}';

/** Is `name` one of the ephemeral canary buckets (of any target) with this prefix: <prefix>-<target
 *  tag>-<cycle id>, the names sweeps delete? */
export function isEphemeralBucketName(name: string, prefix: string): boolean {
  return name.startsWith(`${prefix}-`) && new RegExp(`^[0-9a-f]{6}-${CYCLE_ID_PATTERN}$`).test(name.slice(prefix.length + 1));
}
