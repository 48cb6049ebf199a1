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

/** Endpoints may carry user:password; a label must never. */
export function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return '';
  }
}
