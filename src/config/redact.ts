// What people are shown of a config (check-config, labels, error messages): secrets never leave the process.
import type { Config } from './schema.js';

const REDACTED = '[REDACTED]';
/** Credential keys whose values are secrets (accessKeyId is not: it names the key, and is shown). */
const SECRET_KEYS = ['secretAccessKey', 'sessionToken'] as const;

/** An endpoint as it may be shown: without user, password and query (a presigned-style query may
 *  carry a signature); '' when it is not a URL. */
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

/** A line of the config file as it may be quoted in an error: the value after a secret key, and a
 *  password in a URL, masked (the line is the user's own text, and may hold them literally). */
export function redactLine(line: string): string {
  let out = line.replace(/(\/\/[^/\s:@]*:)[^/\s@]*@/g, `$1${REDACTED}@`);
  for (const k of SECRET_KEYS) out = out.replace(new RegExp(`(\\b${k}\\b["']?\\s*:).*$`), `$1 ${REDACTED}`);
  return out;
}

/** The normalised config as shown to people. */
export function redactConfig(c: Config): unknown {
  return {
    ...c,
    targets: c.targets.map((t) => ({
      ...t,
      endpoint: redactUrl(t.endpoint),
      credentials: 'accessKeyId' in t.credentials ? redactSecrets(t.credentials) : t.credentials,
    })),
  };
}

function redactSecrets<T extends object>(o: T): T {
  const out: Record<string, unknown> = { ...(o as Record<string, unknown>) };
  for (const k of SECRET_KEYS) if (out[k] !== undefined) out[k] = REDACTED;
  return out as T;
}
