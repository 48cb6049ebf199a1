// Removing what a cycle created, unmeasured and with deadlines of its own so that it works during
// shutdown too. What cannot be removed goes to the target's leftovers, retried by the next cycle.
import {
  AbortMultipartUploadCommand, DeleteBucketCommand, DeleteObjectCommand, ListMultipartUploadsCommand,
} from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import type { TargetClient } from '../s3/client.js';
import { withRequestScope } from '../s3/instrument.js';
import { isNotFound } from './classify.js';
import type { LeftoverStore } from './leftovers.js';
import type { CycleObserver } from './observer.js';

/** What a cycle may have created and not removed yet. */
export interface CreatedState {
  bucket: string;
  /** Keys that may exist in the store (attempted writes not yet deleted). */
  readonly mayExist: Set<string>;
  /** Multipart uploads started and not yet completed or aborted: key -> upload id. */
  readonly openUploads: Map<string, string>;
  /** An ephemeral bucket whose creation was attempted and that was not removed yet. */
  bucketMayExist: boolean;
}

export interface CleanupOptions {
  target: string;
  node?: string | undefined;
  client: TargetClient;
  timeoutMs: number;
  leftovers: LeftoverStore;
  logger: Logger;
  observer?: CycleObserver | undefined;
}

/** Runs requests that are not measurements (cleanup, sweeps) in a scope that says so: the wire
 *  tracer still claims their exchanges, nothing is recorded as an operation. */
export function housekeeping<T>(target: string, observer: CycleObserver | undefined, fn: () => Promise<T>, node?: string): Promise<T> {
  return withRequestScope({ target, node, operation: 'housekeeping', traces: [], measured: false, onTrace: observer?.onTrace?.bind(observer) }, fn);
}

/** For removals: a missing key, upload or bucket is already gone. */
function goneIfNotFound(e: unknown): void {
  if (!isNotFound(e)) throw e;
}

export class CycleCleanup {
  constructor(private readonly opts: CleanupOptions) {}

  /** One unmeasured removal with its own deadline; false when it failed. */
  private async attempt(fn: (signal: AbortSignal) => Promise<unknown>): Promise<boolean> {
    try {
      await housekeeping(this.opts.target, this.opts.observer, () => fn(AbortSignal.timeout(this.opts.timeoutMs)), this.opts.node);
      return true;
    } catch {
      return false;
    }
  }

  /** Aborts the uploads left open and deletes the keys that may exist. */
  async removeKeys(s: CreatedState): Promise<void> {
    const s3 = this.opts.client.s3;
    for (const [Key, UploadId] of s.openUploads) {
      if (await this.attempt((signal) => s3.send(new AbortMultipartUploadCommand({ Bucket: s.bucket, Key, UploadId }), { abortSignal: signal }).catch(goneIfNotFound))) {
        s.openUploads.delete(Key);
      }
    }
    for (const Key of s.mayExist) {
      if (await this.attempt((signal) => s3.send(new DeleteObjectCommand({ Bucket: s.bucket, Key }), { abortSignal: signal }).catch(goneIfNotFound))) {
        s.mayExist.delete(Key);
      }
    }
  }

  /** The end of every cycle: removes what is left, hands the rest to the leftovers. */
  async finish(s: CreatedState, ephemeral: boolean): Promise<void> {
    const { leftovers } = this.opts;
    if (s.mayExist.size || s.openUploads.size) await this.removeKeys(s);
    for (const key of s.mayExist) leftovers.add({ bucket: s.bucket, key });
    for (const key of s.openUploads.keys()) leftovers.add({ bucket: s.bucket, key });
    if (ephemeral && s.bucketMayExist) {
      const gone = s.mayExist.size === 0 && (await this.attempt((signal) =>
        this.opts.client.s3.send(new DeleteBucketCommand({ Bucket: s.bucket }), { abortSignal: signal }).catch(goneIfNotFound)));
      if (!gone) leftovers.add({ bucket: s.bucket });
    }
    if (leftovers.size) this.opts.logger.warn({ target: this.opts.target, node: this.opts.node, leftovers: leftovers.size }, 'objects or buckets could not be removed; retrying next cycle');
  }

  /** Removes what earlier cycles could not, before creating anything new. */
  async retryLeftovers(shutdown: () => boolean): Promise<void> {
    const s3 = this.opts.client.s3;
    const { leftovers } = this.opts;
    for (const l of leftovers.list()) {
      if (shutdown()) return;
      const ok = await this.attempt(async (signal) => {
        if (l.key !== undefined) {
          // Abort any upload left open under this key, then the key itself.
          const ups = await s3.send(new ListMultipartUploadsCommand({ Bucket: l.bucket, Prefix: l.key }), { abortSignal: signal }).catch(() => undefined);
          for (const u of ups?.Uploads ?? []) {
            if (u.Key === l.key && u.UploadId) await s3.send(new AbortMultipartUploadCommand({ Bucket: l.bucket, Key: l.key, UploadId: u.UploadId }), { abortSignal: signal });
          }
          await s3.send(new DeleteObjectCommand({ Bucket: l.bucket, Key: l.key }), { abortSignal: signal }).catch(goneIfNotFound);
        } else {
          await s3.send(new DeleteBucketCommand({ Bucket: l.bucket }), { abortSignal: signal }).catch(goneIfNotFound);
        }
      });
      if (ok) leftovers.remove(l);
    }
  }
}
