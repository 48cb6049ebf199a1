// Securing the exporter's own endpoints, in the format of Prometheus' exporter-toolkit web config:
//   tls_server_config: { cert_file, key_file, client_ca_file?, client_auth_type?, min_version? }
//   basic_auth_users: { <user>: <bcrypt hash> }
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import bcrypt from 'bcryptjs';
import type { RequestHandler } from 'express';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config/load.js';

const schema = z.strictObject({
  tls_server_config: z
    .strictObject({
      cert_file: z.string().min(1),
      key_file: z.string().min(1),
      client_ca_file: z.string().min(1).optional(),
      client_auth_type: z.enum(['NoClientCert', 'RequireAndVerifyClientCert', 'VerifyClientCertIfGiven']).default('NoClientCert'),
      min_version: z.enum(['TLS12', 'TLS13']).default('TLS12'),
    })
    .optional(),
  basic_auth_users: z
    .record(z.string().min(1), z.string().regex(/^\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}$/, 'expected a bcrypt hash (e.g. from `htpasswd -nbB user pass`)'))
    .optional(),
});

export interface WebConfig {
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: boolean; minVersion: 'TLSv1.2' | 'TLSv1.3' };
  users?: Record<string, string>;
}

export async function loadWebConfig(file: string): Promise<WebConfig> {
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(file, 'utf8')) ?? {};
  } catch (e) {
    throw new ConfigError(`cannot read web config: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file);
  }
  const res = schema.safeParse(raw);
  if (!res.success) {
    throw new ConfigError(`invalid web config:\n  ${res.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('\n  ')}`, file);
  }
  const c = res.data;
  const rel = (p: string) => resolve(dirname(file), p);
  const read = async (key: string, p: string) => {
    try {
      return await readFile(rel(p));
    } catch (e) {
      throw new ConfigError(`tls_server_config.${key}: cannot read ${p}: ${(e as NodeJS.ErrnoException).code}`, file);
    }
  };
  const out: WebConfig = {};
  if (c.tls_server_config) {
    const t = c.tls_server_config;
    if (t.client_auth_type !== 'NoClientCert' && !t.client_ca_file) {
      throw new ConfigError(`tls_server_config.client_ca_file: required with client_auth_type ${t.client_auth_type}`, file);
    }
    out.tls = {
      cert: await read('cert_file', t.cert_file),
      key: await read('key_file', t.key_file),
      ca: t.client_ca_file ? await read('client_ca_file', t.client_ca_file) : undefined,
      requestCert: t.client_auth_type !== 'NoClientCert',
      rejectUnauthorized: t.client_auth_type === 'RequireAndVerifyClientCert',
      minVersion: t.min_version === 'TLS13' ? 'TLSv1.3' : 'TLSv1.2',
    };
  }
  if (c.basic_auth_users) out.users = c.basic_auth_users;
  return out;
}

/** Basic auth against bcrypt hashes. Verified credentials are cached (by digest) so that a scrape
 *  every few seconds does not pay bcrypt's deliberate cost each time. */
export function basicAuth(users: Record<string, string>): RequestHandler {
  const verified = new Set<string>();
  const digest = (u: string, p: string) => createHash('sha256').update(`${u}\0${p}\0${users[u]}`).digest('hex');
  return (req, res, next) => {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.get('authorization') ?? '');
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    const i = decoded.indexOf(':');
    const user = i > 0 ? decoded.slice(0, i) : '';
    const pass = i > 0 ? decoded.slice(i + 1) : '';
    const deny = () => res.status(401).set('WWW-Authenticate', 'Basic realm="s3prober"').type('text/plain').send('Unauthorized\n');
    const hash = Object.hasOwn(users, user) ? users[user]! : undefined;
    if (!hash) return void deny();
    const d = digest(user, pass);
    if (verified.has(d)) return void next();
    bcrypt.compare(pass, hash).then(
      (ok) => {
        if (!ok) return deny();
        if (verified.size < 64) verified.add(d);
        next();
      },
      () => deny(),
    );
  };
}
