// Fresh incompressible bytes every cycle, with a digest we computed ourselves for verification.
import { createHash, randomBytes } from 'node:crypto';

export interface Payload {
  bytes: Buffer;
  sha256: string;
}

export function makePayload(size: number): Payload {
  const bytes = randomBytes(size);
  return { bytes, sha256: sha256(bytes) };
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
