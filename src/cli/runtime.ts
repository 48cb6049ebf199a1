// The running exporter: config -> metrics + target runners + schedule + HTTP server (+ tracer).
// Reload swaps all config-derived parts atomically; an invalid new config keeps the old one running.
import type { Server } from 'node:http';
import https from 'node:https';
import { basicAuth, type WebConfig } from '../server/web-config.js';
import type { Logger } from 'pino';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { LISTEN_FORMAT, parseListen } from '../config/listen.js';
import { redactUrl } from '../config/redact.js';
import { formatShard, narrowToShard, type Shard } from '../config/shard.js';
import { registerSecret } from '../log/scrub.js';
import { traceExportCounters } from '../metrics/tracing-families.js';
import { CycleTracer } from '../tracing/cycle-tracer.js';
import { tracingSettings } from '../tracing/settings.js';
import { prerender } from '../exposition/render.js';
import { DurabilityRecorder } from '../metrics/durability-recorder.js';
import { MetricsRecorder } from '../metrics/recorder.js';
import { ReplicationRecorder } from '../metrics/replication-recorder.js';
import { ProcessMetrics } from '../metrics/process-metrics.js';
import { recordShard } from '../metrics/shard-families.js';
import type { CycleObserver } from '../probes/observer.js';
import { operationsOf } from '../probes/plan.js';
import { Replications } from '../probes/replications.js';
import { TargetRunner } from '../probes/target-runner.js';
import type { RequestTrace } from '../results/request-trace.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { createApp } from '../server/app.js';
import { StatusBoard, type TargetSource } from '../server/status-board.js';
import type { ReplicationSource } from '../server/status-replication.js';
import { VERSION } from '../version.js';
import { startWireHalf, type WireHalf } from './wire.js';

/** The shortest time between two prerender passes (see prerenderSoon). */
const PRERENDER_GAP_MS = 5_000;

export interface RuntimeOptions {
  config: Config;
  /** Where reloads read from; absent for the embedded default. */
  configFile?: string;
  /** --listen: overrides the config's listen address. */
  listen?: string;
  /** --web-config: TLS and basic auth for the exporter's own endpoints. */
  web?: WebConfig;
  /** --shard: probe only the targets whose name hashes to this shard. */
  shard?: Shard;
  logger: Logger;
}

interface Generation {
  /** The config as loaded, its targets narrowed to this process's shard. */
  config: Config;
  recorder: MetricsRecorder;
  runners: TargetRunner[];
  scheduler: Scheduler;
}

export class ProberRuntime {
  readonly processMetrics = new ProcessMetrics();
  private current!: Generation;
  private server!: Server;
  private wire!: WireHalf;
  private board!: StatusBoard;
  /** The trace consumer, when traces are on (set at start: a reload does not change it). */
  private tracing: CycleTracer | undefined;
  private readonly everReady = new Set<string>();
  private reloading: Promise<string | undefined> | undefined;
  private prerenderTimer: NodeJS.Timeout | undefined;
  /** Outlive a reload that leaves them unchanged: their objects in flight are still followed. */
  private readonly replications: Replications;
  private lastPrerender = 0;

  private constructor(private readonly opts: RuntimeOptions) {
    this.replications = new Replications(opts.logger);
  }

  static async start(o: RuntimeOptions): Promise<ProberRuntime> {
    const rt = new ProberRuntime(o);
    const tracing = tracingSettings(o.config.tracing);
    for (const v of Object.values(o.config.tracing?.headers ?? {})) registerSecret(v);
    if (tracing) {
      rt.tracing = new CycleTracer({
        settings: tracing, version: VERSION, sink: traceExportCounters(rt.processMetrics.registry), logger: o.logger,
        endpointOf: (target) => rt.current.config.targets.find((t) => t.name === target)?.endpoint,
      });
    }
    rt.wire = await startWireHalf({
      registry: rt.processMetrics.registry, logger: o.logger, enabled: o.config.ebpf.enabled,
      onWire: rt.tracing && ((r) => rt.tracing?.onWire(r)),
    });
    rt.board = new StatusBoard(rt.wire.view);
    rt.current = rt.generation(o.config, []);
    try {
      await rt.listen(o.listen ?? o.config.listen);
    } catch (e) {
      await rt.wire.tracer.close();
      await rt.tracing?.close();
      for (const r of rt.current.runners) r.destroy();
      await rt.replications.stop();
      throw e;
    }
    rt.current.scheduler.start();
    rt.warnIfEmptyShard();
    o.logger.info({ targets: rt.current.config.targets.map((t) => t.name), ...rt.shardFields(o.config), schedule: o.config.schedule, tracer: rt.wire.tracer.up, traces: tracing ? (tracing.url ?? 'OTEL_EXPORTER_OTLP_*') : false }, 's3prober started');
    return rt;
  }

  get address(): { host: string; port: number } {
    const a = this.server.address();
    if (!a || typeof a === 'string') throw new Error('server not listening');
    return { host: a.address, port: a.port };
  }

  get config(): Config {
    return this.current.config;
  }

  /** A sharded process's log fields: its shard and how many of the configured targets it took. */
  private shardFields(loaded: Config): Record<string, unknown> {
    const s = this.opts.shard;
    return s ? { shard: formatShard(s), probed: this.current.config.targets.length, configured: loaded.targets.length } : {};
  }

  private warnIfEmptyShard(): void {
    const s = this.opts.shard;
    if (s && this.current.config.targets.length === 0) this.opts.logger.warn({ shard: formatShard(s) }, 'no target of the config falls in this shard: it probes nothing');
  }

  private generation(loaded: Config, previous: TargetRunner[]): Generation {
    // Every target's secrets, the other shards' too: a log line may quote the whole config.
    for (const t of loaded.targets) {
      if ('secretAccessKey' in t.credentials) {
        registerSecret(t.credentials.secretAccessKey);
        registerSecret(t.credentials.sessionToken);
      }
    }
    const config = narrowToShard(loaded, this.opts.shard);
    const recorder = new MetricsRecorder(config, operationsOf);
    if (this.opts.shard) recordShard(recorder.registry, this.opts.shard, loaded.targets.map((t) => t.name), config.targets.map((t) => t.name));
    const durability = new DurabilityRecorder(recorder.registry, config, (t) => recorder.labelsOf(t));
    const replication = new ReplicationRecorder(recorder.registry, config);
    const tracing = this.tracing;
    const observer: CycleObserver = {
      ...(tracing ? { traceCycle: (target: string, node?: string) => tracing.traceCycle(target, node) } : {}),
      onDurability: (r) => {
        durability.onDurability(r);
        this.board.onDurability(r);
        if (r.operations.some((o) => o.reason === 'internal')) this.processMetrics.internalErrors.inc({ kind: 'cycle' });
      },
      onReplication: (o) => {
        replication.onReplication(o);
        this.board.onReplication(o);
        if (o.reason === 'internal') this.processMetrics.internalErrors.inc({ kind: 'cycle' });
      },
      onReplicationInFlight: (s) => {
        replication.onReplicationInFlight(s);
        this.board.onReplicationInFlight(s);
      },
      onOperation: (r) => recorder.onOperation(r),
      // joined later, in a batch: the tracer's join and metrics stay out of the operation's
      // measured duration
      onTrace: (t: RequestTrace) => this.wire.tracer.queue(t),
      onCertificate: (target, d, node) => recorder.onCertificate(target, d, node),
      onNodes: (target, count) => recorder.onNodes(target, count),
      onDiscoveryFailure: (target) => recorder.onDiscoveryFailure(target),
      onNodeGone: (target, node) => {
        const log = (e: unknown) => this.opts.logger.error({ target, node, bug: e }, 'removing a forgotten node\'s series failed');
        recorder.removeNode(target, node).catch(log);
        this.board.forgetNode(target, node);
        this.wire.recorder.removeNode(target, node).catch(log);
      },
    };
    const runners = config.targets.map((t) => {
      const r = new TargetRunner(t, this.opts.logger, observer);
      // Same target across a reload: keep what it still has to clean up and its last results.
      const prev = previous.find((p) => p.target.name === t.name);
      if (prev) r.adopt(prev);
      return r;
    });
    const scheduler = new Scheduler({
      schedule: config.schedule,
      spread: config.spread,
      jitterMs: config.jitter,
      runners,
      logger: this.opts.logger,
      hooks: {
        onCycle: (c) => {
          recorder.onCycle(c);
          this.board.onCycle(c);
          tracing?.onCycle(c);
          if (c.internalError !== undefined || c.operations.some((o) => o.reason === 'internal')) this.processMetrics.internalErrors.inc({ kind: 'cycle' });
          this.prerenderSoon();
        },
        // ready once every target has had a round, even one whose discovery found no node
        onRoundEnd: (t) => {
          this.everReady.add(t);
          this.replications.roundEnded(t);
        },
        onSkipped: (t, why) => recorder.onCycleSkipped(t, why),
        onStart: (t, d) => recorder.onCycleStart(t, d),
      },
    });
    // its destination may be another shard's target: looked up in the whole config
    this.replications.update({ ...loaded, replication: config.replication }, observer);
    return { config, recorder, runners, scheduler };
  }

  private listen(addr: string): Promise<void> {
    const l = parseListen(addr);
    if (!l) throw new Error(`invalid listen address ${JSON.stringify(addr)}: expected ${LISTEN_FORMAT}`);
    const app = createApp({
      registries: () => this.registries(),
      ready: () => this.current.runners.every((r) => this.everReady.has(r.target.name)),
      status: () => this.board.build(this.statuses(), this.wire.tracer.status(), VERSION, Date.now(), this.replicationSources()),
      reload: () => this.reload(),
      auth: this.opts.web?.users ? basicAuth(this.opts.web.users) : undefined,
    });
    const tls = this.opts.web?.tls;
    return new Promise((resolve, reject) => {
      const server = tls ? https.createServer(tls, app).listen(l.port, l.host) : app.listen(l.port, l.host);
      server.once('listening', () => {
        this.server = server as Server;
        resolve();
      });
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new Error(`cannot listen on ${addr}: ${e.code === 'EADDRINUSE' ? 'address already in use' : e.code ?? e.message}`)),
      );
    });
  }

  private registries() {
    return [this.processMetrics.registry, this.current.recorder.registry];
  }

  /** A scrape then copies the text of what the cycles changed instead of rendering it (BENCHMARKS.md,
   *  scrape). Batched: one pass for the cycles that end within 500 ms, late enough for their
   *  wire results (joined within WIRE_RESULT_DELAY_MS) to be in, and at most one pass every
   *  PRERENDER_GAP_MS: a series a cycle re-renders is thrown away by the next cycle unless a
   *  scrape came between, and scrapes come every 15-60 s; what changed since the last pass a
   *  scrape renders itself. */
  private prerenderSoon(): void {
    const wait = Math.max(500, this.lastPrerender + PRERENDER_GAP_MS - Date.now());
    this.prerenderTimer ??= setTimeout(() => {
      this.prerenderTimer = undefined;
      this.lastPrerender = Date.now();
      prerender(this.registries());
    }, wait).unref();
  }

  private statuses(): TargetSource[] {
    return this.current.runners.map((r) => {
      const t = r.target;
      // a per-node target before discovery found a node shows no address, with nothing to say yet
      return {
        name: t.name, endpoint: redactUrl(t.endpoint), bucketMode: t.bucket.mode, labels: t.labels, running: r.busy,
        nodes: t.nodes === undefined ? undefined : t.nodes === 'discover' ? 'discover' : 'listed',
        durability: t.durability,
        probes: r.nodes.map((n) => ({ node: n.node?.label, last: n.lastResult })),
      };
    });
  }

  private replicationSources(): ReplicationSource[] {
    return this.current.config.replication.map((r) => ({ name: r.name, source: r.source, destination: r.destination, bucket: r.bucket, timeoutMs: r.timeout }));
  }

  /** Re-reads the config file; resolves with an error message when the old config was kept. */
  reload(): Promise<string | undefined> {
    this.reloading ??= this.doReload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async doReload(): Promise<string | undefined> {
    const log = this.opts.logger;
    if (!this.opts.configFile) return 'no config file to reload (embedded default)';
    let config: Config;
    try {
      config = await loadConfig(this.opts.configFile);
    } catch (e) {
      this.processMetrics.reloadSuccess.set(0);
      log.error({ file: this.opts.configFile }, `config reload failed, previous config kept: ${(e as Error).message}`);
      return (e as Error).message;
    }
    const old = this.current;
    await old.scheduler.stop(); // waits for in-flight cycles and their cleanup
    this.current = this.generation(config, old.runners);
    this.board.retain(config.targets.map((t) => t.name), config.replication.map((r) => r.name));
    for (const r of old.runners) r.destroy();
    this.current.scheduler.start();
    this.warnIfEmptyShard();
    this.processMetrics.reloadSuccess.set(1);
    this.processMetrics.reloadTime.set(Date.now() / 1000);
    log.info({ targets: this.current.config.targets.map((t) => t.name), ...this.shardFields(config) }, 'config reloaded');
    return undefined;
  }

  /** Aborts in-flight cycles (their cleanup still runs), closes the server, detaches the tracer. */
  async stop(): Promise<void> {
    this.server?.close();
    this.server?.closeAllConnections();
    await this.current.scheduler.stop();
    await this.replications.stop(); // deletes the objects in flight at both sides
    clearTimeout(this.prerenderTimer);
    for (const r of this.current.runners) r.destroy();
    await this.wire.tracer.close();
    await this.tracing?.close();
  }
}
