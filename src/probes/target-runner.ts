// The long-lived state of one target: the start-up sweep, and the addresses it is probed at — its
// endpoint, or every node behind it (discovered or listed), each with a NodeRunner of its own.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { nodeLabel } from '../config/nodes.js';
import type { TargetConfig } from '../config/schema.js';
import type { CycleResult } from '../results/cycle.js';
import { errorMessage } from './classify.js';
import { housekeeping } from './cleanup.js';
import { discoverNodes } from './discovery.js';
import { type DurabilityProbe, durabilityProbe } from './durability.js';
import { NodeRunner } from './node-runner.js';
import type { CycleObserver } from './observer.js';
import { sweep } from './sweep.js';

interface KnownNode {
  runner: NodeRunner;
  /** When discovery last returned it (epoch ms). */
  seenAt: number;
}

export class TargetRunner {
  private running: Promise<CycleResult[]> | undefined;
  /** Before its first cycle a target removes what an earlier run (e.g. killed mid-cycle) left. */
  private swept = false;
  /** The endpoint's runner, or one per node (by label). */
  private readonly runners = new Map<string, KnownNode>();
  /** The nodes the last successful discovery chose: probed again while discovery fails. */
  private lastProbed: NodeRunner[] = [];
  /** The durable set of a target whose config has one: checked once a round, through
   *  a node whose cycle of the round succeeded (the first address when none did). */
  readonly durability: DurabilityProbe | undefined;

  constructor(
    readonly target: TargetConfig,
    private readonly logger: Logger,
    private readonly observer: CycleObserver,
  ) {
    if (target.nodes === undefined) this.runners.set('', { runner: new NodeRunner(target, undefined, logger, observer), seenAt: 0 });
    this.durability = durabilityProbe(target, logger);
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Every address's runner, the endpoint's or the nodes' (sorted by node). */
  get nodes(): NodeRunner[] {
    return [...this.runners.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([, k]) => k.runner);
  }

  /** One cycle per address; node cycles start spread over spreadMs. Callers check `busy` first (a
   *  target's cycles never overlap). Never rejects otherwise: a bug ends as failed, counted cycles. */
  async runCycle(signal?: AbortSignal, spreadMs = 0): Promise<CycleResult[]> {
    if (this.running !== undefined) throw new Error(`cycle of ${this.target.name} already running`);
    this.running = this.run(signal, spreadMs);
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async run(signal: AbortSignal | undefined, spreadMs: number): Promise<CycleResult[]> {
    const runners = await this.probed();
    // through a node when there are nodes: the endpoint's name may only resolve for the resolver
    await this.sweepOnce(runners[0]);
    const results = await Promise.all(runners.map(async (r, i) => {
      const delay = runners.length > 1 ? (spreadMs * i) / runners.length : 0;
      if (delay > 0) await sleep(delay, undefined, { signal }).catch(() => undefined);
      return r.runCycle(signal);
    }));
    // inside the round, so rounds never overlap; its result goes to the observer (never rejects).
    // Through a node whose cycle just succeeded: one bad node must not fail the target's own checks.
    const through = runners[results.findIndex((r) => r.success)] ?? runners[0];
    if (this.durability && through && !signal?.aborted) await this.durability.run({ client: through.client, observer: this.observer, signal });
    return results;
  }

  /** The runners to probe this cycle: the endpoint's, or the nodes found now. A discovery that
   *  fails keeps the nodes last seen; nodes not found for longer than nodeGrace are forgotten. */
  private async probed(): Promise<NodeRunner[]> {
    const t = this.target;
    if (t.nodes === undefined) return this.nodes;
    const d = await discoverNodes(t);
    const now = Date.now();
    if (d.error !== undefined) {
      this.logger.warn({ target: t.name, nodes: this.lastProbed.length }, `node discovery failed, probing the nodes last seen: ${d.error}`);
      this.observer.onDiscoveryFailure?.(t.name, d.error);
      // not every node still known: those gone from DNS (kept for their grace) stay unprobed
      return this.lastProbed;
    }
    const probed: NodeRunner[] = [];
    for (const address of d.nodes) {
      const label = nodeLabel(address);
      let known = this.runners.get(label);
      if (known === undefined) {
        known = { runner: new NodeRunner(t, { address, label }, this.logger, this.observer), seenAt: now };
        this.runners.set(label, known);
        this.logger.info({ target: t.name, node: label }, 'node found');
      }
      known.seenAt = now;
      probed.push(known.runner);
    }
    for (const [label, known] of this.runners) {
      if (now - known.seenAt <= t.nodeGrace) continue;
      this.runners.delete(label);
      known.runner.destroy();
      this.logger.info({ target: t.name, node: label }, 'node gone from discovery for longer than nodeGrace: forgotten');
      this.observer.onNodeGone?.(t.name, label);
    }
    this.observer.onNodes?.(t.name, { found: d.found, probed: probed.length });
    this.lastProbed = probed;
    return probed;
  }

  /** Any address of the target will do: its names are the target's, whatever node made them. */
  private async sweepOnce(through: NodeRunner | undefined): Promise<void> {
    if (this.swept) return;
    this.swept = true;
    const runner = through ?? new NodeRunner(this.target, undefined, this.logger, this.observer);
    try {
      const r = await housekeeping(this.target.name, this.observer, () =>
        sweep(runner.client.s3, this.target, { olderThanMs: 0, timeoutMs: this.target.timeout }));
      if (r.buckets.length || r.keys || r.uploads) {
        this.logger.info({ target: this.target.name, buckets: r.buckets.length, keys: r.keys, uploads: r.uploads }, 'removed what an earlier run left behind');
      }
      for (const note of r.notes) this.logger.info({ target: this.target.name }, `start-up sweep: ${note}`);
      // what is left is retried by every cycle and counted in s3prober_leftover_objects
      for (const l of r.remaining) runner.leftovers.add(l);
      if (r.errors.length) {
        this.logger.warn({ target: this.target.name, left: r.remaining.length, errors: r.errors.slice(0, 5) }, 'could not remove everything an earlier run left behind; retrying every cycle');
      }
    } catch (err) {
      this.logger.error({ target: this.target.name, bug: err }, `start-up sweep crashed: ${errorMessage(err)}`);
    } finally {
      if (!through) runner.destroy();
    }
  }

  /** Takes over what the same target of an earlier config still has to clean up, and its last results. */
  adopt(previous: TargetRunner): void {
    this.durability?.carryOver(previous.durability);
    for (const [label, old] of previous.runners) {
      const mine = this.runners.get(label)?.runner ?? this.nodes[0];
      if (!mine) continue;
      for (const l of old.runner.leftovers.list()) mine.leftovers.add(l);
      if (this.runners.has(label)) mine.lastResult = old.runner.lastResult;
    }
  }

  /** Resolves once the in-flight cycles (if any) have finished their cleanup. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  destroy(): void {
    for (const k of this.runners.values()) k.runner.destroy();
  }
}
