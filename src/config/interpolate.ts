// ${VAR} and ${VAR:-default} references in config values, resolved from the environment.
// A missing variable without a default is an error: half-resolved credentials must not start a prober.

export interface UnsetVariable {
  /** Key path of the value that refers to it, e.g. targets.0.credentials.secretAccessKey. */
  path: string;
  name: string;
}

/** Every unset variable of the file at once, so one run of check-config names them all. */
export class InterpolationError extends Error {
  constructor(readonly unset: UnsetVariable[]) {
    const lines = unset.map((u) => `${u.path}: environment variable ${u.name} is not set`);
    super(lines.length === 1 ? lines[0]! : `${lines.length} environment variables are not set:\n  ${lines.join('\n  ')}`);
    this.name = 'InterpolationError';
  }
}

/** A reference as written in the file; the one definition of its syntax. */
export const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolate(value: unknown, env: NodeJS.ProcessEnv): unknown {
  const unset: UnsetVariable[] = [];
  const out = resolve(value, env, [], unset);
  if (unset.length) throw new InterpolationError(unset);
  return out;
}

function resolve(value: unknown, env: NodeJS.ProcessEnv, path: string[], unset: UnsetVariable[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REFERENCE, (ref, name: string, def: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (def !== undefined) return def;
      unset.push({ path: path.join('.') || '(root)', name });
      return ref;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => resolve(v, env, [...path, String(i)], unset));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, resolve(v, env, [...path, k], unset)]),
    );
  }
  return value;
}
