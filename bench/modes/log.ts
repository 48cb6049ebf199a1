// A worker's logs: the prober's warn-level lines, in bench/results/<run>.log next to the results.
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { createLogger } from '../../src/log/logger.js';
import { REPO_ROOT } from '../lib.js';

const LOG_DIR = path.join(REPO_ROOT, 'bench/results');

export function logger(name: string) {
  return createLogger('warn', createWriteStream(path.join(LOG_DIR, `${name}.log`), { flags: 'a' }));
}
