// How a command ends on an error it cannot go on from: one line on stderr, and the exit code that
// says whether the config (2) or something else (1) was at fault.
import { ConfigError } from '../config/load.js';
import { EXIT } from './exit-codes.js';

export function fail(e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`s3prober: ${msg}\n`);
  process.exit(e instanceof ConfigError ? EXIT.config : EXIT.failure);
}
