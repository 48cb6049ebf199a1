// `s3prober once`: one cycle per target (per node for targets that probe their nodes), a human
// table on stdout; exit 0 only if all succeeded.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { CycleResult } from '../results/cycle.js';
import { createLogger } from '../log/logger.js';
import { scrubSecrets } from '../log/scrub.js';
import { TargetRunner } from '../probes/target-runner.js';
import { resolveConfig } from './config-source.js';
import { EXIT } from './exit-codes.js';
import { fail } from './fail.js';

/** The command: the embedded local RGW without --config; exits 0 only if every operation succeeded. */
export async function onceCommand(opts: { config?: string }): Promise<never> {
  // the table is the output: the log says only what went wrong, on stderr
  const logger = createLogger('warn', process.stderr);
  const { config, local } = await resolveConfig(opts.config, logger).catch(fail);
  let ok = false;
  try {
    ok = await runOnce(config, logger);
  } catch (e) {
    await local?.stop();
    fail(e);
  }
  await local?.stop();
  process.exit(ok ? EXIT.ok : EXIT.failure);
}

export async function runOnce(config: Config, logger: Logger, out: NodeJS.WritableStream = process.stdout): Promise<boolean> {
  const runners = config.targets.map((t) => new TargetRunner(t, logger, {}));
  try {
    // Targets run side by side, as they would under the schedule.
    const results = (await Promise.all(runners.map((r) => r.runCycle()))).flat();
    out.write(formatTable(results));
    return results.every((r) => r.success);
  } finally {
    for (const r of runners) r.destroy();
  }
}

function formatTable(results: CycleResult[]): string {
  // a NODE column only where a target probes its nodes: other tables stay as they were
  const nodes = results.some((c) => c.node !== undefined);
  const rows: string[][] = [['TARGET', ...(nodes ? ['NODE'] : []), 'OPERATION', 'SIZE', 'LATENCY', 'BYTES', 'RESULT', 'REASON']];
  for (const c of results) {
    for (const o of c.operations) {
      rows.push([
        c.target,
        ...(nodes ? [c.node ?? '-'] : []),
        o.operation,
        o.size,
        o.durationSeconds === undefined ? '-' : `${(o.durationSeconds * 1000).toFixed(2)}ms`,
        String(o.bytes),
        o.outcome,
        o.outcome === 'failure' ? `${o.reason}${o.errorCode ? ` (${o.errorCode}${o.httpStatus ? ` ${o.httpStatus}` : ''})` : ''}` : (o.skippedBecause ? `after ${o.skippedBecause}` : ''),
      ]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  // LATENCY and BYTES right-aligned
  const numeric = new Set(nodes ? [4, 5] : [3, 4]);
  const lines = rows.map((r) => r.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
  const summary = results.map((c) => `${c.target}${c.node === undefined ? '' : ` ${c.node}`}: ${c.success ? 'success' : 'FAILURE'} in ${(c.durationSeconds * 1000).toFixed(0)}ms, leftovers ${c.leftovers}${
    c.internalError === undefined ? '' : `; internal error (a bug in s3prober): ${scrubSecrets(c.internalError)}`}`);
  return `${lines.join('\n')}\n\n${summary.join('\n')}\n`;
}
