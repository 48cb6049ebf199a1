// Structured JSON logs. Secrets are redacted by path and scrubbed from free text as a second line of defence.
import { inspect } from 'node:util';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { scrubSecrets } from './scrub.js';

export type { Logger };

const REDACT_PATHS = [
  'secretAccessKey', '*.secretAccessKey', '*.*.secretAccessKey',
  'sessionToken', '*.sessionToken', '*.*.sessionToken',
  'authorization', '*.authorization', '*.headers.authorization', '*.headers.Authorization',
  'credentials', '*.credentials',
];

export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { app: 's3prober' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          // Free-text messages (e.g. an error's message) are scrubbed of anything that looks like a secret.
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)) as typeof args;
          return method.apply(this, scrubbed);
        },
      },
      serializers: {
        err: (e: unknown) => {
          // a string or another value where an Error was expected must not throw in the logger
          if (!(e instanceof Error)) return { type: typeof e, message: scrubSecrets(typeof e === 'string' ? e : inspect(e)) };
          const s = pino.stdSerializers.err(e);
          return { type: s.type, message: scrubSecrets(s.message), code: (e as { code?: string }).code };
        },
        // a bug of s3prober's own: its stack is what a bug report needs
        bug: (e: unknown) => {
          // anything may be thrown or rejected with, not only Errors
          if (!(e instanceof Error)) return { type: typeof e, message: scrubSecrets(inspect(e)) };
          const s = pino.stdSerializers.err(e);
          return { type: s.type, message: scrubSecrets(s.message), stack: scrubSecrets(s.stack ?? '') };
        },
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
