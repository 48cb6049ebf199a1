#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=8
// s3prober command line: run (default), once, check-config, cleanup.
//
// The first line is how the exporter runs (npm start, the container, the installed command): fewer
// malloc arenas and a smaller young generation take memory off at no CPU we could measure; flags
// that take more cost CPU, most at scale (BENCHMARKS.md: section 1 and the seventh session).
//
// Options are checked as they are parsed and a command's module is imported only when it runs, so
// a usage error exits before anything starts or loads (no tracer, no AWS SDK, no embedded RGW).
import { Command, type CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_LISTEN, LISTEN_FORMAT, parseListen } from '../config/listen.js';
import { nearMiss } from '../config/near-miss.js';
import { parseShard, SHARD_SYNTAX, ShardSpecError, type Shard } from '../config/shard.js';
import { DURATION_UNITS_TEXT, parseDuration } from '../config/units.js';
import { createLogger } from '../log/logger.js';
import { VERSION } from '../version.js';
import { EXIT } from './exit-codes.js';
import type { RunOptions } from './run.js';
import { logWarnings } from './warnings.js';

// Every command's warnings are log lines on stderr (stdout is its output); run moves them to its log.
logWarnings(createLogger('warn', process.stderr));

/** Commander reports a usage error, or is done after --help/--version: its exit code, or ours. */
function exitAfterCommander(e: CommanderError): never {
  process.exit(e.exitCode === 0 ? EXIT.ok : EXIT.usage);
}

/** run is the default command, so commander hands it any first word that names no command; run takes
 *  no argument, so that word is a mistyped command, and is said to be one. */
function refuseUnknownCommand(program: Command, sub: Command): void {
  const word = program.args[0];
  if (word === undefined || word.startsWith('-') || word === sub.name()) return;
  const near = nearMiss(word, program.commands.map((c) => c.name()));
  program.error(`error: unknown command '${word}'${near ? ` (did you mean ${near}?)` : ''}`, { exitCode: EXIT.usage, code: 'commander.unknownCommand' });
}

function listenArg(value: string): string {
  if (parseListen(value) === undefined) throw new InvalidArgumentError(`Expected ${LISTEN_FORMAT}.`);
  return value;
}

function durationArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError(`Expected a duration such as "1h" (${DURATION_UNITS_TEXT}).`);
  return ms;
}

/** --shard's value, checked as commander reads it (flag or S3PROBER_SHARD): a bad one is a usage error. */
function shardArg(spec: string): Shard {
  try {
    return parseShard(spec);
  } catch (e) {
    if (e instanceof ShardSpecError) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

/** --config, which $S3PROBER_CONFIG also sets (e.g. in a container). */
function configOption(description: string): Option {
  return new Option('-c, --config <file>', description).env('S3PROBER_CONFIG');
}

// Set before the commands are added: they inherit it.
const program = new Command()
  .name('s3prober')
  .description('Active synthetic S3 prober and Prometheus exporter')
  .version(VERSION)
  .exitOverride(exitAfterCommander)
  .showSuggestionAfterError()
  .showHelpAfterError("(see 's3prober help [command]')")
  .hook('preSubcommand', refuseUnknownCommand);

program
  .command('run', { isDefault: true })
  .description('run the exporter (probes every target on the schedule, serves /metrics)')
  .addOption(configOption('YAML config file (default: the embedded local RGW)'))
  .addOption(new Option('-l, --listen <host:port>', `listen address, overrides the config's (default ${DEFAULT_LISTEN})`).argParser(listenArg))
  .addOption(new Option('--web-config <file>', 'TLS and basic auth for the endpoints, exporter-toolkit format').env('S3PROBER_WEB_CONFIG'))
  .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']))
  .addOption(new Option('--shard <index/count>', `probe only this shard's targets (hashmod of the name): ${SHARD_SYNTAX}`).env('S3PROBER_SHARD').argParser(shardArg))
  .action(async (opts: RunOptions) => (await import('./run.js')).runExporter(opts));

program
  .command('once')
  .description('run one cycle per target, print a table, exit 0 if every operation succeeded')
  .addOption(configOption('YAML config file (default: the embedded local RGW)'))
  .action(async (opts: { config?: string }) => (await import('./once.js')).onceCommand(opts));

program
  .command('cleanup')
  .description("remove what the prober left under its own prefixes (ephemeral buckets, keys), nothing else")
  .addOption(configOption('YAML config file').makeOptionMandatory())
  .addOption(new Option('--older-than <duration>', 'only what is at least this old, e.g. 1h').argParser(durationArg).default(0, 'everything'))
  .option('--durable', "also remove every target's durable set (its objects; the bucket stays), which nothing else ever touches")
  .option('--replication', "also remove every replication's objects at its source and destination (the bucket stays)")
  .action(async (opts: { config: string; olderThan: number; durable?: boolean; replication?: boolean }) =>
    (await import('./cleanup.js')).cleanupCommand(opts.config, { olderThanMs: opts.olderThan, durable: opts.durable === true, replication: opts.replication === true }));

program
  .command('check-config')
  .argument('<file>', 'YAML config file')
  .description('validate a config file and print it normalised (secrets redacted); exit 2 if invalid')
  .action(async (file: string) => (await import('./check-config.js')).checkConfig(file));

await program.parseAsync(process.argv);
