// Runs every target on the cron schedule. Targets are spread across the interval (so that N targets
// do not all hit the network in the same millisecond) plus random jitter. A slot that comes while the
// target's previous cycle still runs is skipped and counted, never overlapped.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { CycleResult } from '../probes/result.js';
import type { TargetRunner } from './target-runner.js';

export interface SchedulerHooks {
  onCycle(r: CycleResult): void;
  onSkipped(target: string): void;
  /** How late the cycle started compared with its planned time, in seconds. */
  onStart(target: string, delaySeconds: number): void;
}

export interface SchedulerOptions {
  schedule: string;
  /** Fraction (0-1) of the interval over which target starts are spread. */
  spread: number;
  jitterMs: number;
  runners: TargetRunner[];
  hooks: SchedulerHooks;
  logger: Logger;
}

export class Scheduler {
  private task: ScheduledTask | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly abort = new AbortController();

  constructor(private readonly o: SchedulerOptions) {}

  /** Starts the schedule and runs a first round right away, spread like every later round (the
   *  first target starts at once; crowding all first cycles together made start-up drift). */
  start(): void {
    this.task = cron.schedule(this.o.schedule, (ctx) => this.slot(ctx.date), { name: 's3prober', noOverlap: false });
    this.plan(Date.now(), this.intervalMs() * this.o.spread);
  }

  /** The schedule's current interval, from its next two runs. */
  intervalMs(): number {
    const runs = this.task?.getNextRuns(2) ?? [];
    if (runs.length < 2) return 30_000;
    return Math.max(1000, runs[1]!.getTime() - runs[0]!.getTime());
  }

  private slot(at: Date): void {
    this.plan(at.getTime(), this.intervalMs() * this.o.spread);
  }

  /** Plans one start per target inside [slot, slot + window). */
  private plan(slotMs: number, windowMs: number): void {
    const n = this.o.runners.length;
    this.o.runners.forEach((runner, i) => {
      const planned = slotMs + (n > 1 ? (windowMs * i) / n : 0) + Math.random() * this.o.jitterMs;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.launch(runner, planned);
      }, Math.max(0, planned - Date.now()));
      this.timers.add(timer);
    });
  }

  private async launch(runner: TargetRunner, plannedMs: number): Promise<void> {
    if (this.abort.signal.aborted) return;
    const name = runner.target.name;
    if (runner.busy) {
      this.o.hooks.onSkipped(name);
      this.o.logger.warn({ target: name }, 'previous cycle still running: slot skipped');
      return;
    }
    this.o.hooks.onStart(name, (Date.now() - plannedMs) / 1000);
    try {
      this.o.hooks.onCycle(await runner.runCycle(this.abort.signal));
    } catch (err) {
      // A cycle reports failures in its result; reaching here is a bug, never a reason to die.
      this.o.logger.error({ target: name, err }, 'cycle crashed');
    }
  }

  /** Stops scheduling, aborts in-flight cycles and waits for their cleanup. */
  async stop(): Promise<void> {
    await this.task?.destroy();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.abort.abort();
    await Promise.all(this.o.runners.map((r) => r.idle()));
  }
}
