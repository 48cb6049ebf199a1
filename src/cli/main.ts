#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=8
// s3prober command line: run (default), once, check-config.
//
// The first line is how the exporter runs (npm start, the container, the installed command):
// MALLOC_ARENA_MAX=2 caps glibc's per-thread malloc arenas (10-20 MB less RSS; CPU within run-to-run
// noise, 0-7%); --max-semi-space-size=8 holds V8's young generation at half Node 20/22's default and
// an eighth of Node 24's (at 10 targets: 9 MB less RSS on Node 20, 17 MB less on 24 than with 16, and
// 60-75 MB less than Node 24's own default; CPU within noise, +0-3%; 4 cost 7% more on 24, BENCHMARKS.md
// seventh session). The flags that cut RSS further
// (--optimize-for-size; --max-semi-space-size=2 --heap-growing-percent=20) cost 40-60% / 6-14% more
// CPU per operation and, at 300 targets, scraped, double the CPU per cycle and stretch scrapes to
// seconds (BENCHMARKS.md, section 1).
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger, type Logger } from '../log/logger.js';
import { startLocalRgw, type LocalRgw } from '../embedded/local-rgw.js';
import { VERSION } from '../version.js';
import { redactConfig } from '../config/redact.js';
import { runOnce } from './once.js';
import { runCleanup } from './cleanup.js';
import { loadWebConfig } from '../server/web-config.js';
import { parseDuration } from '../config/units.js';
import { ProberRuntime } from './runtime.js';

const EXIT_CONFIG = 2;

/** The config from --config, or the embedded local RGW when none is given. */
async function resolveConfig(file: string | undefined, logger: Logger): Promise<{ config: Config; local?: LocalRgw }> {
  if (file) return { config: await loadConfig(file) };
  logger.info('no --config given: starting the embedded local S3 target (Ceph RGW on loopback)');
  const local = await startLocalRgw();
  return { config: local.config, local };
}

function fail(e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`s3prober: ${msg}\n`);
  process.exit(e instanceof ConfigError ? EXIT_CONFIG : 1);
}

/** Process warnings (e.g. the AWS SDK's Node version notice) become log lines, not free text. */
function logWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (w) => logger.warn({ warning: w.name }, w.message.replace(/\s+/g, ' ').trim()));
}

async function run(opts: { config?: string; listen?: string; logLevel?: string; webConfig?: string }): Promise<void> {
  let logger = createLogger((opts.logLevel as 'info') ?? 'info');
  logWarnings(logger);
  const web = opts.webConfig ? await loadWebConfig(opts.webConfig).catch(fail) : undefined;
  const { config, local } = await resolveConfig(opts.config, logger).catch(fail);
  if (!opts.logLevel && config.logLevel !== 'info') {
    logger = createLogger(config.logLevel);
    logWarnings(logger);
  }
  let rt: ProberRuntime;
  try {
    rt = await ProberRuntime.start({ config, configFile: opts.config, listen: opts.listen, web, logger });
  } catch (e) {
    await local?.stop();
    fail(e);
  }
  const a = rt.address;
  logger.info({ listen: `${a.host}:${a.port}`, tls: !!web?.tls, basicAuth: !!web?.users }, `serving /metrics on ${web?.tls ? 'https' : 'http'}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/metrics`);

  // No stray error may kill a prober that runs for months: log it, count it, keep going.
  process.on('unhandledRejection', (err) => {
    rt.processMetrics.internalErrors.inc({ kind: 'unhandled_rejection' });
    logger.error({ err }, 'unhandled promise rejection');
  });
  process.on('uncaughtException', (err) => {
    rt.processMetrics.internalErrors.inc({ kind: 'uncaught_exception' });
    logger.error({ err }, 'uncaught exception');
  });
  process.on('SIGHUP', () => void rt.reload());

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: aborting cycles, cleaning up');
    // Cleanup is bounded; never hang on exit.
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000).unref();
    await rt.stop();
    await local?.stop();
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** --config, which $S3PROBER_CONFIG also sets (e.g. in a container). */
function configOption(description: string): Option {
  return new Option('-c, --config <file>', description).env('S3PROBER_CONFIG');
}

const program = new Command()
  .name('s3prober')
  .description('Active synthetic S3 prober and Prometheus exporter')
  .version(VERSION)
  .showHelpAfterError();

program
  .command('run', { isDefault: true })
  .description('run the exporter (probes every target on the schedule, serves /metrics)')
  .addOption(configOption('YAML config file (default: the embedded local RGW)'))
  .option('-l, --listen <host:port>', 'listen address, overrides the config (default 0.0.0.0:9340)')
  .addOption(new Option('--web-config <file>', 'TLS and basic auth for the endpoints, exporter-toolkit format').env('S3PROBER_WEB_CONFIG'))
  .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']))
  .action(run);

program
  .command('once')
  .description('run one cycle per target, print a table, exit 0 if every operation succeeded')
  .addOption(configOption('YAML config file (default: the embedded local RGW)'))
  .action(async (opts: { config?: string }) => {
    const logger = createLogger('warn', process.stderr);
    logWarnings(logger);
    const { config, local } = await resolveConfig(opts.config, logger).catch(fail);
    let ok = false;
    try {
      ok = await runOnce(config, logger);
    } catch (e) {
      await local?.stop();
      fail(e);
    }
    await local?.stop();
    process.exit(ok ? 0 : 1);
  });

program
  .command('cleanup')
  .description("remove what the prober left under its own prefixes (ephemeral buckets, keys), nothing else")
  .addOption(configOption('YAML config file'))
  .option('--older-than <duration>', 'only what is at least this old, e.g. 1h (default: everything)', '0s')
  .option('--durable', "also remove every target's durable set (its objects; the bucket stays), which nothing else ever touches")
  .option('--replication', "also remove every replication's objects at its source and destination (the bucket stays)")
  .action(async (opts: { config?: string; olderThan: string; durable?: boolean; replication?: boolean }) => {
    const file = opts.config;
    if (!file) fail(new ConfigError('cleanup needs --config FILE (or S3PROBER_CONFIG)'));
    const olderThanMs = parseDuration(opts.olderThan);
    if (olderThanMs === undefined) fail(new ConfigError(`--older-than: expected a duration such as "1h", got ${JSON.stringify(opts.olderThan)}`));
    const config = await loadConfig(file).catch(fail);
    process.exit((await runCleanup(config, { olderThanMs, durable: opts.durable === true, replication: opts.replication === true })) ? 0 : 1);
  });

program
  .command('check-config')
  .argument('<file>', 'YAML config file')
  .description('validate a config file and print it normalised (secrets redacted); exit 2 if invalid')
  .action(async (file: string) => {
    const config = await loadConfig(file).catch(fail);
    process.stdout.write(stringify(redactConfig(config)));
  });

await program.parseAsync(process.argv);
