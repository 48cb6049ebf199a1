// `s3prober run`: the exporter, until SIGTERM/SIGINT; SIGHUP reloads the config.
import type { Shard } from '../config/shard.js';
import { createLogger, type Logger } from '../log/logger.js';
import { loadWebConfig } from '../server/web-config.js';
import { resolveConfig } from './config-source.js';
import { EXIT } from './exit-codes.js';
import { fail } from './fail.js';
import { ProberRuntime } from './runtime.js';
import { logWarnings } from './warnings.js';

type StrayKind = 'unhandled_rejection' | 'uncaught_exception';

export interface RunOptions {
  config?: string;
  listen?: string;
  logLevel?: string;
  webConfig?: string;
  shard?: Shard;
}

export async function runExporter(opts: RunOptions): Promise<void> {
  let logger = logTo(createLogger((opts.logLevel as 'info') ?? 'info'));
  let rt: ProberRuntime | undefined;
  // No stray error may kill a prober that runs for months, from its first moment: log it with its
  // stack, count it (those before the metrics exist once they do), keep going.
  const early = new Map<StrayKind, number>();
  const stray = (kind: StrayKind, msg: string) => (err: unknown) => {
    if (rt) rt.processMetrics.internalErrors.inc({ kind });
    else early.set(kind, (early.get(kind) ?? 0) + 1);
    logger.error({ bug: err }, msg);
  };
  process.on('unhandledRejection', stray('unhandled_rejection', 'unhandled promise rejection'));
  process.on('uncaughtException', stray('uncaught_exception', 'uncaught exception'));
  const web = opts.webConfig ? await loadWebConfig(opts.webConfig).catch(fail) : undefined;
  const { config, local } = await resolveConfig(opts.config, logger).catch(fail);
  if (!opts.logLevel && config.logLevel !== 'info') logger = logTo(createLogger(config.logLevel));
  try {
    rt = await ProberRuntime.start({ config, configFile: opts.config, listen: opts.listen, web, shard: opts.shard, logger });
  } catch (e) {
    await local?.stop();
    fail(e);
  }
  for (const [kind, n] of early) rt.processMetrics.internalErrors.inc({ kind }, n);
  const a = rt.address;
  logger.info({ listen: `${a.host}:${a.port}`, tls: !!web?.tls, basicAuth: !!web?.users }, `serving /metrics on ${web?.tls ? 'https' : 'http'}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/metrics`);

  const started = rt;
  process.on('SIGHUP', () => void started.reload());

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: aborting cycles, cleaning up');
    // Cleanup is bounded; never hang on exit.
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(EXIT.failure);
    }, 15_000).unref();
    await started.stop();
    await local?.stop();
    logger.flush();
    process.exit(EXIT.ok);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** The exporter's own log gets the process warnings too. */
function logTo(logger: Logger): Logger {
  logWarnings(logger);
  return logger;
}
