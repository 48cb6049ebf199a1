// The long-lived state of one target: its client, its leftovers and whether a cycle is running.
import type { Logger } from 'pino';
import type { TargetConfig } from '../config/schema.js';
import type { CycleResult } from '../results/cycle.js';
import { createTargetClient, type TargetClient } from '../s3/client.js';
import { errorMessage } from './classify.js';
import { housekeeping } from './cleanup.js';
import { runCycle } from './cycle.js';
import { LeftoverStore } from './leftovers.js';
import type { CycleObserver } from './observer.js';
import { sweep } from './sweep.js';

export class TargetRunner {
  readonly leftovers = new LeftoverStore();
  private readonly client: TargetClient;
  private running: Promise<CycleResult> | undefined;
  lastResult: CycleResult | undefined;
  /** Before its first cycle a runner removes what an earlier run (e.g. killed mid-cycle) left. */
  private swept = false;

  constructor(
    readonly target: TargetConfig,
    private readonly logger: Logger,
    private readonly observer: CycleObserver,
  ) {
    this.client = createTargetClient(target);
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Runs one cycle; callers must check `busy` first (cycles of one target never overlap). Never
   *  rejects otherwise: a bug that escapes the cycle still ends as a failed, counted cycle. */
  async runCycle(signal?: AbortSignal): Promise<CycleResult> {
    if (this.running !== undefined) throw new Error(`cycle of ${this.target.name} already running`);
    const startedAt = Date.now();
    this.running = this.sweepOnce().then(() => runCycle({
      target: this.target,
      client: this.client,
      leftovers: this.leftovers,
      logger: this.logger,
      observer: this.observer,
      signal,
    })).catch((err: unknown) => this.crashed(err, startedAt));
    try {
      const r = await this.running;
      this.lastResult = r;
      return r;
    } finally {
      this.running = undefined;
    }
  }

  private crashed(err: unknown, startedAt: number): CycleResult {
    this.logger.error({ target: this.target.name, bug: err }, 'cycle crashed');
    return {
      target: this.target.name, cycleId: '', startedAt, durationSeconds: (Date.now() - startedAt) / 1000,
      success: false, operations: [], leftovers: this.leftovers.size, aborted: false,
      internalError: errorMessage(err),
    };
  }

  private async sweepOnce(): Promise<void> {
    if (this.swept) return;
    this.swept = true;
    const r = await housekeeping(this.target.name, this.observer, () =>
      sweep(this.client.s3, this.target, { olderThanMs: 0, timeoutMs: this.target.timeout }));
    if (r.buckets.length || r.keys || r.uploads) {
      this.logger.info({ target: this.target.name, buckets: r.buckets.length, keys: r.keys, uploads: r.uploads }, 'removed what an earlier run left behind');
    }
    for (const note of r.notes) this.logger.info({ target: this.target.name }, `start-up sweep: ${note}`);
    // what is left is retried by every cycle and counted in s3prober_leftover_objects
    for (const l of r.remaining) this.leftovers.add(l);
    if (r.errors.length) {
      this.logger.warn({ target: this.target.name, left: r.remaining.length, errors: r.errors.slice(0, 5) }, 'could not remove everything an earlier run left behind; retrying every cycle');
    }
  }

  /** Resolves once the in-flight cycle (if any) has finished its cleanup. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  destroy(): void {
    this.client.destroy();
  }
}
