// Reads, interpolates and validates a config file. Errors name the offending key and say why.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { configSchema, type Config } from './schema.js';
import { interpolate, InterpolationError } from './interpolate.js';

export class ConfigError extends Error {
  constructor(message: string, readonly file?: string) {
    super(file ? `${file}: ${message}` : message);
    this.name = 'ConfigError';
  }
}

export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env, file?: string): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    const msg = e instanceof YAMLParseError ? e.message.split('\n')[0]! : String(e);
    throw new ConfigError(`invalid YAML: ${msg}`, file);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('expected a YAML mapping at the top level', file);
  try {
    raw = interpolate(raw, env);
  } catch (e) {
    if (e instanceof InterpolationError) throw new ConfigError(e.message, file);
    throw e;
  }
  const res = configSchema.safeParse(raw);
  if (!res.success) {
    const lines = res.error.issues.map((i) => {
      const key = i.path.map(String).join('.') || '(root)';
      // Never echo the received value: it may be a secret.
      return `${key}: ${i.message}`;
    });
    throw new ConfigError(`invalid config:\n  ${lines.join('\n  ')}`, file);
  }
  return res.data;
}

export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, file);
  }
  return parseConfig(text, env, file);
}
