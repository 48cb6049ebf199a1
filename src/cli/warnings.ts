// Process warnings (e.g. the AWS SDK's notice about the Node version) become one log line each,
// never node's raw multi-line text between the log lines.
import type { Logger } from '../log/logger.js';

/** Warnings go to `logger` from now on, in place of node's default printer and any earlier logger. */
export function logWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (w) => logger.warn({ warning: w.name }, w.message.replace(/\s+/g, ' ').trim()));
}
