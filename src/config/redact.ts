import type { Config } from './schema.js';

/** The normalised config as shown to people: secrets never leave the process. */
export function redactConfig(c: Config): unknown {
  return {
    ...c,
    targets: c.targets.map((t) => ({
      ...t,
      credentials: 'accessKeyId' in t.credentials
        ? { accessKeyId: t.credentials.accessKeyId, secretAccessKey: '[REDACTED]', ...(t.credentials.sessionToken ? { sessionToken: '[REDACTED]' } : {}) }
        : t.credentials,
    })),
  };
}
