// Runs every target on the cron schedule. Targets are spread across the interval (so that N targets
// do not all hit the network in the same millisecond) plus random jitter. A slot that comes while the
// target's previous cycle still runs is skipped and counted, never overlapped.
// The start-up round comes on top of the schedule, at whatever moment of an interval the prober
// starts: the first slot can come right after it (see launch).
// A slot whose timer fires late (the process was blocked or starved) still runs, up to an interval
// late; a slot later than that is gone (the next one has come) and counted as skipped for every target.
import { setMaxListeners } from 'node:events';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { CycleResult, SkipReason } from '../results/cycle.js';

/** What the scheduler needs of a target: a TargetRunner (tests use stand-ins). */
export interface ScheduledRunner {
  readonly target: { readonly name: string };
  /** A cycle is running. */
  readonly busy: boolean;
  /** One cycle per address of the target (its endpoint, or each node, started over spreadMs). */
  runCycle(signal?: AbortSignal, spreadMs?: number): Promise<CycleResult[]>;
  /** Resolves once the in-flight cycle (if any) has finished its cleanup. */
  idle(): Promise<void>;
}

export interface SchedulerHooks {
  onCycle(r: CycleResult): void;
  /** A target's round ended: its cycles reported (none when it had no address to probe). */
  onRoundEnd?(target: string): void;
  onSkipped(target: string, reason: SkipReason): void;
  /** How late the cycle started compared with its planned time, in seconds. */
  onStart(target: string, delaySeconds: number): void;
}

export interface SchedulerOptions {
  schedule: string;
  /** Fraction (0-1) of the interval over which target starts are spread. */
  spread: number;
  jitterMs: number;
  runners: ScheduledRunner[];
  hooks: SchedulerHooks;
  logger: Logger;
}

export class Scheduler {
  private task: ScheduledTask | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly abort = new AbortController();
  /** Runners whose first scheduled slot has not launched yet. */
  private readonly beforeFirstSlot = new Set<ScheduledRunner>();

  constructor(private readonly opts: SchedulerOptions) {
    // every operation in flight listens for shutdown on this one signal: hundreds with 300 targets
    setMaxListeners(0, this.abort.signal);
  }

  /** Starts the schedule and runs a first round right away, spread like every later round (the
   *  first target starts at once; crowding all first cycles together made start-up drift). A
   *  target's first slot that finds its start-up cycle still running is left to it (see launch). */
  start(): void {
    const log = this.opts.logger;
    this.task = cron.schedule(this.opts.schedule, (ctx) => this.slot(ctx.date), {
      name: 's3prober',
      noOverlap: false,
      // node-cron drops a slot whose timer fires over 1 s late; it still runs below an interval late
      // (node-cron's own bound), and its start delay shows how late it was
      missedExecutionTolerance: Number.MAX_SAFE_INTEGER,
      logger: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m, e) => log.error({ err: e ?? m }, String(m)), debug: (m) => log.debug(String(m)) },
    });
    this.task.on('execution:missed', (ctx) => this.missed(ctx.date));
    for (const r of this.opts.runners) this.beforeFirstSlot.add(r);
    this.plan(Date.now(), this.intervalMs() * this.opts.spread, 'start-up');
  }

  /** The schedule's current interval, from its next two runs. */
  intervalMs(): number {
    const runs = this.task?.getNextRuns(2) ?? [];
    if (runs.length < 2) return 30_000;
    return Math.max(1000, runs[1]!.getTime() - runs[0]!.getTime());
  }

  /** A slot that came and went while the process could not run it: every target skipped it. */
  private missed(at: Date): void {
    this.opts.logger.warn({ slot: at.toISOString(), targets: this.opts.runners.length }, 'schedule slot missed: the prober was blocked for more than an interval');
    for (const r of this.opts.runners) this.opts.hooks.onSkipped(r.target.name, 'missed');
  }

  private slot(at: Date): void {
    this.plan(at.getTime(), this.intervalMs() * this.opts.spread, 'slot');
  }

  /** Plans one start per target inside [slot, slot + window). */
  private plan(slotMs: number, windowMs: number, kind: 'start-up' | 'slot'): void {
    const n = this.opts.runners.length;
    this.opts.runners.forEach((runner, i) => {
      const planned = slotMs + (n > 1 ? (windowMs * i) / n : 0) + Math.random() * this.opts.jitterMs;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.launch(runner, planned, kind);
      }, Math.max(0, planned - Date.now()));
      this.timers.add(timer);
    });
  }

  private async launch(runner: ScheduledRunner, plannedMs: number, kind: 'start-up' | 'slot'): Promise<void> {
    if (this.abort.signal.aborted) return;
    const name = runner.target.name;
    // The start-up cycle began less than an interval (plus jitter) before the target's first slot,
    // often only milliseconds: a first slot that finds it still running is left to it, uncounted.
    // It is no overrun, and a skip counts as one (S3ProberCyclesSkipped: cycles outlast the interval).
    // A start-up launch that comes after the first slot (jitter) is dropped: the schedule has begun.
    if (kind === 'start-up' && !this.beforeFirstSlot.has(runner)) return;
    const firstSlot = kind === 'slot' && this.beforeFirstSlot.delete(runner);
    if (runner.busy && firstSlot) {
      this.opts.logger.debug({ target: name }, 'start-up cycle still running: first slot left to it');
      return;
    }
    if (runner.busy) {
      this.opts.hooks.onSkipped(name, 'overrun');
      this.opts.logger.warn({ target: name }, 'previous cycle still running: slot skipped');
      return;
    }
    this.opts.hooks.onStart(name, (Date.now() - plannedMs) / 1000);
    try {
      // a target's nodes share its part of the spread window
      const spreadMs = (this.intervalMs() * this.opts.spread) / Math.max(1, this.opts.runners.length);
      for (const r of await runner.runCycle(this.abort.signal, spreadMs)) this.opts.hooks.onCycle(r);
      this.opts.hooks.onRoundEnd?.(name);
    } catch (err) {
      // A cycle reports failures in its result; reaching here is a bug, never a reason to die.
      this.opts.logger.error({ target: name, bug: err }, 'cycle crashed');
    }
  }

  /** Stops scheduling, aborts in-flight cycles and waits for their cleanup. */
  async stop(): Promise<void> {
    await this.task?.destroy();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.abort.abort();
    await Promise.all(this.opts.runners.map((r) => r.idle()));
  }
}
