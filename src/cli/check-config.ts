// `s3prober check-config FILE`: the config normalised (secrets redacted) on stdout, or why not.
import { stringify } from 'yaml';
import { loadConfig } from '../config/load.js';
import { redactConfig } from '../config/redact.js';
import { fail } from './fail.js';

export async function checkConfig(file: string): Promise<void> {
  const config = await loadConfig(file).catch(fail);
  process.stdout.write(stringify(redactConfig(config)));
}
