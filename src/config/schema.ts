// The config file's shape. Every key is validated here so an invalid file never starts half a prober.
import { z } from 'zod';
import cron from 'node-cron';
import { parseDuration, parseSize } from './units.js';

const RESERVED_LABELS = new Set(['target', 'operation', 'reason', 'phase', 'outcome', 'direction', 'le', 'quantile', 'job', 'instance']);

const duration = () =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `expected a positive duration such as "10s" or "500ms"` });
      return z.NEVER;
    }
    return ms;
  });

const size = (min = 0) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const b = parseSize(v);
    if (b === undefined || b < min) {
      ctx.addIssue({ code: 'custom', message: `expected a size such as "4KiB" or "1MiB"${min ? ` of at least ${min} bytes` : ''}` });
      return z.NEVER;
    }
    return b;
  });

const listen = z.string().refine((s) => parseListen(s) !== undefined, {
  message: 'expected HOST:PORT, e.g. "0.0.0.0:9340", "[::1]:9340" or ":9340"',
});

export function parseListen(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

const staticCredentials = z.strictObject({
  accessKeyId: z.string().min(1, 'accessKeyId must not be empty'),
  secretAccessKey: z.string().min(1, 'secretAccessKey must not be empty'),
  sessionToken: z.string().min(1).optional(),
});
// The AWS SDK's default chain (env, shared files, IMDS, ECS task role, web identity).
const chainCredentials = z.strictObject({ source: z.literal('default') });

const bucketSchema = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('ephemeral'),
    // Names must stay valid on AWS: lowercase, digits, hyphens; room is left for the cycle suffix.
    prefix: z.string().regex(/^[a-z0-9][a-z0-9-]{0,29}$/, 'lowercase letters, digits and hyphens, at most 30 characters').default('s3prober'),
  }),
  z.strictObject({
    mode: z.literal('fixed'),
    name: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not a valid S3 bucket name'),
  }),
]);

const labelsSchema = z
  .record(z.string(), z.string().max(128, 'label values are at most 128 characters'))
  .superRefine((labels, ctx) => {
    for (const k of Object.keys(labels)) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k) || k.startsWith('__')) {
        ctx.addIssue({ code: 'custom', path: [k], message: `label name ${JSON.stringify(k)} is not a valid Prometheus label name` });
      } else if (RESERVED_LABELS.has(k)) {
        ctx.addIssue({ code: 'custom', path: [k], message: `label name ${JSON.stringify(k)} is reserved by s3prober` });
      }
    }
  });

export const targetSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, '1-64 characters of letters, digits, "_", ".", ":", "-"'),
  endpoint: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  region: z.string().min(1).default('us-east-1'),
  pathStyle: z.boolean().default(true),
  tls: z
    .strictObject({
      caFile: z.string().min(1).optional(),
      insecureSkipVerify: z.boolean().default(false),
      serverName: z.string().min(1).optional(),
    })
    .default({ insecureSkipVerify: false }),
  credentials: z.union([staticCredentials, chainCredentials], {
    error: 'expected {accessKeyId, secretAccessKey[, sessionToken]} or {source: default}',
  }),
  bucket: bucketSchema.default({ mode: 'ephemeral', prefix: 's3prober' }),
  keyPrefix: z.string().regex(/^[A-Za-z0-9_.\-/]{1,64}$/, 'letters, digits, "_", ".", "-", "/"').default('s3prober/'),
  objectSizes: z.array(size(1)).min(1).max(16).default([4096, 1048576, 6 * 1048576]),
  batchSize: z.number().int().min(2).max(1000).default(15),
  listPageSize: z.number().int().min(1).max(1000).default(5),
  multipart: z
    .strictObject({
      threshold: size(5 * 1048576).default(5 * 1048576),
      partSize: size(5 * 1048576).default(5 * 1048576),
    })
    .default({ threshold: 5 * 1048576, partSize: 5 * 1048576 }),
  timeout: duration().optional(),
  labels: labelsSchema.default({}),
});

export const configSchema = z
  .strictObject({
    listen: listen.default('0.0.0.0:9340'),
    schedule: z
      .string()
      .refine((s) => cron.validate(s), { message: 'not a valid cron expression (5 or 6 fields, seconds first when 6)' })
      .default('*/30 * * * * *'),
    timeout: duration().default(10_000),
    // Fraction of the interval over which target start times are spread, plus random jitter.
    spread: z.number().min(0).max(1).default(0.5),
    jitter: duration().default(1000).or(z.literal(0)),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    ebpf: z.strictObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
    targets: z.array(targetSchema).min(1, 'at least one target is required'),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.targets.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `duplicate target name ${JSON.stringify(t.name)}` });
      seen.add(t.name);
    });
  });

export type Config = z.output<typeof configSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
