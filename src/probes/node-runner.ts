// The long-lived state of one address a target is probed at (the endpoint itself, or one node
// behind it): its client, its leftovers, its last result, and whether a cycle is running.
import type { Logger } from 'pino';
import type { NodeAddress } from '../config/nodes.js';
import type { TargetConfig } from '../config/schema.js';
import type { CycleResult } from '../results/cycle.js';
import { createTargetClient, type TargetClient } from '../s3/client.js';
import { errorMessage } from './classify.js';
import { runCycle } from './cycle.js';
import { LeftoverStore } from './leftovers.js';
import type { CycleObserver } from './observer.js';

export class NodeRunner {
  readonly leftovers = new LeftoverStore();
  readonly client: TargetClient;
  lastResult: CycleResult | undefined;

  /** node/label: undefined when the target is probed through its endpoint. */
  constructor(
    readonly target: TargetConfig,
    readonly node: { address: NodeAddress; label: string } | undefined,
    private readonly logger: Logger,
    private readonly observer: CycleObserver,
  ) {
    this.client = createTargetClient(target, node?.address);
  }

  /** One cycle. Never rejects: a bug that escapes the cycle still ends as a failed, counted cycle. */
  async runCycle(signal?: AbortSignal): Promise<CycleResult> {
    const startedAt = Date.now();
    const r = await runCycle({
      target: this.target,
      node: this.node?.label,
      client: this.client,
      leftovers: this.leftovers,
      logger: this.logger,
      observer: this.observer,
      signal,
    }).catch((err: unknown) => this.crashed(err, startedAt));
    this.lastResult = r;
    return r;
  }

  private crashed(err: unknown, startedAt: number): CycleResult {
    this.logger.error({ target: this.target.name, node: this.node?.label, bug: err }, 'cycle crashed');
    return {
      target: this.target.name, ...(this.node ? { node: this.node.label } : {}), cycleId: '', startedAt,
      durationSeconds: (Date.now() - startedAt) / 1000, success: false, operations: [], leftovers: this.leftovers.size,
      aborted: false, internalError: errorMessage(err),
    };
  }

  destroy(): void {
    this.client.destroy();
  }
}
