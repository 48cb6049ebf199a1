// The replication probes of the running config, by name. They outlive a reload when their
// replication and both targets are unchanged (their objects in flight are still followed); the
// others are stopped, which deletes what they had in flight.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { CycleObserver } from './observer.js';
import { ReplicationProbe, replicationIdentity } from './replication.js';

export class Replications {
  private probes = new Map<string, ReplicationProbe>();
  private readonly stopping = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  /** Takes `config`'s replications, their outcomes going to `observer`. */
  update(config: Config, observer: CycleObserver): void {
    const next = new Map<string, ReplicationProbe>();
    const target = (name: string) => config.targets.find((t) => t.name === name)!; // the schema checked they exist
    for (const r of config.replication) {
      const [source, destination] = [target(r.source), target(r.destination)];
      const kept = this.probes.get(r.name);
      if (kept?.identity === replicationIdentity(r, source, destination)) {
        kept.observer = observer;
        next.set(r.name, kept);
      } else {
        next.set(r.name, new ReplicationProbe(r, source, destination, this.logger, observer));
      }
    }
    for (const [name, p] of this.probes) if (next.get(name) !== p) this.retire(p);
    this.probes = next;
  }

  /** A round of `target` ended: each replication from it writes its next object. */
  roundEnded(target: string): void {
    for (const p of this.probes.values()) if (p.pair.source === target) p.tick();
  }

  /** Stops every probe; resolves once what they had in flight is deleted. */
  async stop(): Promise<void> {
    for (const p of this.probes.values()) this.retire(p);
    this.probes.clear();
    while (this.stopping.size) await Promise.all([...this.stopping]);
  }

  private retire(p: ReplicationProbe): void {
    const done = p.stop().finally(() => this.stopping.delete(done));
    this.stopping.add(done);
  }
}
