// The config file's shape. Every key is validated here so an invalid file never starts half a prober.
import { z } from 'zod';
import cron from 'node-cron';
import { DEFAULT_MAX_NODES, DEFAULT_NODE_GRACE_MS, MAX_NODES_LIMIT, nodesSchema, resolverSchema } from './nodes.js';
import { bucketName } from './bucket-name.js';
import { durabilitySchema } from './durability.js';
import { DEFAULT_LISTEN, LISTEN_FORMAT, parseListen } from './listen.js';
import { checkReplications, replicationSchema } from './replication.js';
import { tracingSchema } from './tracing.js';
import { MAX_OBJECT_SIZE, MIN_PART_SIZE, S3_MAX_PARTS, S3_MIN_PART_SIZE } from './limits.js';
import { duration } from './duration.js';
import { configName } from './name.js';
import { formatBytes, parseSize, SIZE_UNITS_TEXT } from './units.js';

const RESERVED_LABELS = new Set(['target', 'node', 'operation', 'reason', 'phase', 'outcome', 'direction', 'le', 'quantile', 'job', 'instance']);

/** A bound of a size, and why it is there (said in the message when it is crossed). */
interface SizeBound {
  bytes: number;
  why?: string;
}

const size = (min: SizeBound, max?: SizeBound) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const b = parseSize(v);
    const bad = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    const because = (bound: SizeBound) => (bound.why ? `: ${bound.why}` : '');
    if (b === undefined) return bad(`expected a size such as "4KiB" or "1MiB" (${SIZE_UNITS_TEXT})`);
    if (b < min.bytes) return bad(`at least ${formatBytes(min.bytes)}${because(min)}`);
    if (max && b > max.bytes) return bad(`at most ${formatBytes(max.bytes)}${because(max)}`);
    return b;
  });

const largestObject = (why: string): SizeBound => ({ bytes: MAX_OBJECT_SIZE, why });

const listen = z.string().refine((s) => parseListen(s) !== undefined, { message: `expected ${LISTEN_FORMAT}` });

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
    name: bucketName,
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

const targetSchema = z.strictObject({
  name: configName,
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
  objectSizes: z.array(size({ bytes: 1 }, largestObject('the prober holds each payload in memory'))).min(1).max(16).default([4096, 1048576, 6 * 1048576]),
  batchSize: z.number().int().min(2).max(1000).default(15),
  listPageSize: z.number().int().min(1).max(1000).default(5),
  multipart: z
    .strictObject({
      threshold: size(
        { bytes: S3_MIN_PART_SIZE, why: "S3's smallest part" },
        largestObject('no object is larger; `steps: { multipart: false }` turns multipart off'),
      ).default(S3_MIN_PART_SIZE),
      partSize: size(
        { bytes: MIN_PART_SIZE, why: `S3's smallest part, and the largest object in at most ${S3_MAX_PARTS.toLocaleString('en-US')} parts` },
        largestObject('no object is larger'),
      ).default(MIN_PART_SIZE),
    })
    .prefault({}),
  // Steps this server does not offer; the cycle leaves them out.
  steps: z
    .strictObject({
      multipart: z.boolean().default(true),
      batchDelete: z.boolean().default(true),
      listBuckets: z.boolean().default(true),
    })
    .prefault({}),
  // Absent: the top-level timeout (resolved below, so every parsed target has its own).
  timeout: duration().optional(),
  labels: labelsSchema.default({}),
  // Every node behind the endpoint, probed one by one with the endpoint's identity (nodes.ts).
  nodes: nodesSchema.optional(),
  resolver: resolverSchema.optional(),
  maxNodes: z.number().int().min(1).max(MAX_NODES_LIMIT).default(DEFAULT_MAX_NODES),
  nodeGrace: duration().default(DEFAULT_NODE_GRACE_MS),
  // Objects kept for ever in a bucket of their own and re-verified a slice per cycle (opt-in).
  durability: durabilitySchema.optional(),
}).superRefine((t, ctx) => {
  if (t.resolver !== undefined && t.nodes !== 'discover') {
    ctx.addIssue({ code: 'custom', path: ['resolver'], message: 'a resolver is only used with `nodes: discover`' });
  }
  if (Array.isArray(t.nodes) && t.nodes.length > t.maxNodes) {
    ctx.addIssue({ code: 'custom', path: ['nodes'], message: `${t.nodes.length} nodes listed, maxNodes is ${t.maxNodes}` });
  }
});

export const configSchema = z
  .strictObject({
    listen: listen.default(DEFAULT_LISTEN),
    schedule: z
      .string()
      .refine((s) => cron.validate(s), { message: 'not a valid cron expression (5 or 6 fields, seconds first when 6)' })
      .default('*/30 * * * * *'),
    timeout: duration().default(10_000),
    // Fraction of the interval over which target start times are spread, plus random jitter.
    spread: z.number().min(0).max(1).default(0.5),
    jitter: duration({ zero: true }).default(1000),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    // "true"/"false" too: a ${VAR} reference resolves to a string (a Kubernetes overlay sets it)
    ebpf: z.strictObject({
      enabled: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], { message: 'expected true or false' }).default(true),
    }).default({ enabled: true }),
    tracing: tracingSchema.optional(),
    targets: z.array(targetSchema).min(1, 'at least one target is required'),
    // Pairs of targets whose replication of a bucket is measured (opt-in).
    replication: z.array(replicationSchema).default([]),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.targets.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `duplicate target name ${JSON.stringify(t.name)}` });
      seen.add(t.name);
    });
    // Sweeps and cleanup empty the fixed buckets' prober keys: a durable set never shares one.
    const fixed = new Set(cfg.targets.flatMap((t) => (t.bucket.mode === 'fixed' ? [t.bucket.name] : [])));
    cfg.targets.forEach((t, i) => {
      if (t.durability && fixed.has(t.durability.bucket)) {
        ctx.addIssue({ code: 'custom', path: ['targets', i, 'durability', 'bucket'], message: 'a fixed bucket of the canary (targets.*.bucket.name): the durable set needs a bucket of its own' });
      }
    });
    checkReplications(cfg.targets, cfg.replication, ctx);
  })
  .transform((cfg) => ({ ...cfg, targets: cfg.targets.map((t) => ({ ...t, timeout: t.timeout ?? cfg.timeout })) }));

export type Config = z.output<typeof configSchema>;
/** A target as parsed: defaults applied, its timeout resolved. */
export type TargetConfig = Config['targets'][number];
