// Reads, interpolates and validates a config file. Errors name the offending key and say why.
import { readFile } from 'node:fs/promises';
import { configSchema, type Config } from './schema.js';
import { interpolate, InterpolationError } from './interpolate.js';
import { describeIssues } from './issues.js';
import { parseYamlSource, YamlSyntaxError } from './yaml-source.js';

export class ConfigError extends Error {
  constructor(message: string, readonly file?: string) {
    super(file ? `${file}: ${message}` : message);
    this.name = 'ConfigError';
  }
}

export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env, file?: string): Config {
  let raw: unknown;
  try {
    raw = parseYamlSource(text);
  } catch (e) {
    if (e instanceof YamlSyntaxError) throw new ConfigError(`invalid YAML: ${e.message}`, file);
    throw e;
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
    throw new ConfigError(`invalid config:\n  ${describeIssues(res.error.issues, configSchema, raw).join('\n  ')}`, file);
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
