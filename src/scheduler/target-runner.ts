// The long-lived state of one target: its client, its leftovers and whether a cycle is running.
import type { Logger } from 'pino';
import type { TargetConfig } from '../config/schema.js';
import { runCycle } from '../probes/cycle.js';
import { LeftoverStore } from '../probes/leftovers.js';
import type { CycleObserver, CycleResult } from '../probes/result.js';
import { createTargetClient, type TargetClient } from '../s3/client.js';

export class TargetRunner {
  readonly leftovers = new LeftoverStore();
  private readonly client: TargetClient;
  private running: Promise<CycleResult> | undefined;
  lastResult: CycleResult | undefined;

  constructor(
    readonly target: TargetConfig,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly observer: CycleObserver,
  ) {
    this.client = createTargetClient(target);
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Runs one cycle; callers must check `busy` first (cycles of one target never overlap). */
  async runCycle(signal?: AbortSignal): Promise<CycleResult> {
    if (this.running) throw new Error(`cycle of ${this.target.name} already running`);
    this.running = runCycle({
      target: this.target,
      client: this.client,
      timeoutMs: this.target.timeout ?? this.timeoutMs,
      leftovers: this.leftovers,
      logger: this.logger,
      observer: this.observer,
      signal,
    });
    try {
      const r = await this.running;
      this.lastResult = r;
      return r;
    } finally {
      this.running = undefined;
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
