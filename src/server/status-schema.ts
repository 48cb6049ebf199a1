// The status API's schema, version 1: the one home of what GET /api/v1/status returns. The JSON
// Schema served at /api/v1/status/schema is derived from it, and the status page renders its object.
// Within v1 fields are only added (optional); a removal or a change of meaning is a v2.
import { z } from 'zod';
import { DURABILITY_REASONS, DURABLE_STATES, type DurableState } from '../results/durability.js';
import { REPLICATION_KINDS } from '../results/replication.js';
import { FAILURE_REASONS, OPERATIONS, OUTCOMES } from '../results/operations.js';
import { CLIENT_PHASES } from '../results/request-trace.js';
import { WIRE_PHASES } from '../results/wire.js';

export const STATUS_API_VERSION = 'v1';

const seconds = z.number().min(0);
const count = z.number().int().min(0);
const time = z.iso.datetime().describe('UTC, ISO 8601');

const wireTiming = z.object({
  wireSeconds: seconds.optional().describe('kernel: first request byte sent -> last response byte received'),
  overheadSeconds: seconds.optional().describe("the client's time the wire does not account for (connect, TLS, wire)"),
  phases: z.partialRecord(z.enum(WIRE_PHASES), seconds).describe('kernel phases, in this order; only those measured'),
  phaseStarts: z.partialRecord(z.enum(WIRE_PHASES), z.number()).optional()
    .describe("when each kernel phase began, in seconds from the request's issue by the client (below 0 where the kernel began before the client reported the request issued)"),
  newConnection: z.boolean(),
  tls: z.boolean(),
  retransmits: count,
  wireOperation: z.string().optional().describe('the S3 operation read from the request line'),
}).describe('what the eBPF tracer saw of the request on the wire');

const request = z.object({
  method: z.string(),
  offsetSeconds: seconds.describe("from the operation's first request"),
  durationSeconds: seconds.optional().describe('issued -> last response byte read (absent if it never ended)'),
  statusCode: z.number().int().optional(),
  reused: z.boolean().describe('the socket came from the keep-alive pool'),
  clientPhases: z.partialRecord(z.enum(CLIENT_PHASES), seconds).describe('client phases, in this order; only those measured'),
  error: z.string().optional(),
  wire: wireTiming.optional().describe('absent when the tracer is off or did not join this request'),
}).describe('one HTTP request of the operation');

const operation = z.object({
  operation: z.enum(OPERATIONS),
  size: z.string().describe('size class of the object ("4KiB"), empty when none'),
  outcome: z.enum(OUTCOMES),
  reason: z.enum(FAILURE_REASONS).optional().describe('why it failed'),
  skippedBecause: z.string().optional().describe('why it was skipped: the step it depended on'),
  errorCode: z.string().optional(),
  httpStatus: z.number().int().optional(),
  requestId: z.string().optional(),
  message: z.string().optional(),
  startOffsetSeconds: seconds.describe("from the cycle's start (millisecond resolution)"),
  prepareSeconds: seconds.optional().describe("the client's time before its first request (SDK serialization, signing); a failure's is part of its duration"),
  durationSeconds: seconds.optional().describe('success: first request issued -> result in hand (prepare comes before); failure: the whole call'),
  bytes: count.describe('payload bytes moved'),
  requests: z.array(request),
});

const cycle = z.object({
  cycleId: z.string(),
  startedAt: time,
  durationSeconds: seconds,
  success: z.boolean(),
  aborted: z.boolean().describe('cut by shutdown: not a verdict on the target'),
  leftovers: count.describe('objects and buckets that could not be removed'),
  internalError: z.string().optional().describe('a bug in s3prober ended the cycle (logged)'),
  operations: z.array(operation).describe('in the order they ran'),
});

const history = z.object({
  operation: z.enum(OPERATIONS),
  success: count,
  failure: count,
  skipped: count,
  successRatio: z.number().min(0).max(1).nullable().describe('success / (success + failure); null without either'),
  p50Seconds: seconds.nullable().describe('median duration of the successes; null without one'),
  p99Seconds: seconds.nullable(),
  since: time.nullable().describe('the oldest sample counted: later than an hour ago when the bounded history is full'),
});

const probe = z.object({
  node: z.string().optional().describe('the node (address:port) behind the endpoint; absent for the endpoint itself'),
  lastCycle: cycle.nullable(),
  history: z.array(history).describe('the last hour, per operation'),
});

const durableFinding = z.object({
  key: z.string(),
  state: z.enum(DURABLE_STATES),
  detail: z.string(),
  rewritten: z.boolean(),
});

const durability = z.object({
  bucket: z.string(),
  objects: count.describe('size of the durable set (config)'),
  verifyPerCycle: count,
  last: z.object({
    startedAt: time,
    durationSeconds: seconds,
    verified: count,
    filled: count,
    stored: count.optional().describe('objects of the set known to be written; absent while not known'),
    findings: z.partialRecord(z.enum(DURABLE_STATES), count),
    findingExamples: z.array(durableFinding).describe('the first few findings'),
    failures: z.partialRecord(z.enum(DURABILITY_REASONS), count),
    requests: z.object({ success: count, failure: count }),
  }).nullable().describe('the last durability check; null before the first'),
  lastPass: z.object({
    endedAt: time,
    objects: z.object(Object.fromEntries(DURABLE_STATES.map((k) => [k, count])) as Record<DurableState, typeof count>),
    oldestWrittenAt: time.optional(),
  }).nullable().describe('the last verification pass over the whole set; null before the first'),
});

const target = z.object({
  name: z.string(),
  endpoint: z.string().describe('without user, password and query'),
  bucketMode: z.string(),
  labels: z.record(z.string(), z.string()),
  running: z.boolean().describe('a cycle is running now'),
  nodes: z.enum(['discover', 'listed']).optional().describe('probed node by node: how the nodes are found'),
  probes: z.array(probe).describe('one per address probed: the endpoint, or each node'),
  durability: durability.optional().describe('present when the target has a durable set'),
});

const replicationOutcome = z.object({
  kind: z.enum(REPLICATION_KINDS).describe('object: a write travelling; delete: its delete'),
  key: z.string(),
  since: time.describe('when the source acknowledged the write or delete'),
  lagSeconds: seconds.optional().describe('replicated: since -> the poll that first saw it (an upper bound)'),
  reason: z.enum(FAILURE_REASONS).optional().describe('not replicated: why'),
  detail: z.string().optional(),
  polls: count.describe('polls of the destination it took'),
});

const replicationHistory = z.object({
  kind: z.enum(REPLICATION_KINDS),
  replicated: count,
  failed: count,
  p50LagSeconds: seconds.nullable(),
  p99LagSeconds: seconds.nullable(),
  since: time.nullable().describe('the oldest outcome counted'),
});

const replication = z.object({
  name: z.string(),
  source: z.string().describe('target name'),
  destination: z.string().describe('target name'),
  bucket: z.string(),
  timeoutSeconds: seconds,
  inFlight: z.object(Object.fromEntries(REPLICATION_KINDS.map((k) => [k, count])) as Record<(typeof REPLICATION_KINDS)[number], typeof count>)
    .describe('written and not yet arrived (object), deleted and not yet gone (delete)'),
  last: z.array(replicationOutcome).describe('the last outcome of each kind, when there is one'),
  history: z.array(replicationHistory).describe('the last hour, per kind'),
});

export const statusSchema = z.object({
  apiVersion: z.literal(STATUS_API_VERSION),
  generatedAt: time,
  version: z.string().describe("s3prober's version"),
  historySeconds: z.number().int().positive(),
  tracer: z.object({
    up: z.boolean(),
    reason: z.string().optional().describe('why it is off'),
    hooks: z.string().optional(),
    uprobes: count.optional(),
  }),
  targets: z.array(target),
  replications: z.array(replication).optional().describe('present when the config measures replication'),
}).meta({ title: 's3prober status, v1', description: 'GET /api/v1/status: what the status page shows' });

export type StatusV1 = z.output<typeof statusSchema>;
export type TargetStatusV1 = StatusV1['targets'][number];
export type CycleV1 = z.output<typeof cycle>;
export type OperationV1 = z.output<typeof operation>;
export type HistoryV1 = z.output<typeof history>;
export type DurabilityV1 = z.output<typeof durability>;
export type RequestV1 = z.output<typeof request>;
export type ReplicationV1 = z.output<typeof replication>;

/** The JSON Schema (draft 2020-12) of the response. */
export const statusJsonSchema = (): Record<string, unknown> => z.toJSONSchema(statusSchema, { target: 'draft-2020-12' });
