// Where the exporter listens: its default address and port, and how HOST:PORT is read. The one home
// of the default port: the CLI, the config schema, tests and docs derive from it.

/** Not the earlier 9340, which a widely used S3 bucket exporter also defaults to; whether it is
 *  registered on Prometheus' default port allocations page: README, "Default port". */
export const DEFAULT_PORT = 10340;
export const DEFAULT_LISTEN = `0.0.0.0:${DEFAULT_PORT}`;
/** What a listen address looks like, for error messages and help. */
export const LISTEN_FORMAT = `HOST:PORT, e.g. "${DEFAULT_LISTEN}", "[::1]:${DEFAULT_PORT}" or ":${DEFAULT_PORT}" (all addresses)`;

export function parseListen(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
