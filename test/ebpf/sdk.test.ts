// The AWS SDK v3 client configured as the prober's (keep-alive, no retries, no 100-continue),
// traced through the S3 layer's request scope: every operation joins its exchange, the wire
// reads the same operation name, and the held-back response shows in the server phase.
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { after, before, test } from 'node:test';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand,
  ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { WIRE_METRICS } from '../../src/metrics/names.js';
import { makeCert, startServer, type TestServer } from '../support/ebpf/servers.js';
import { metricValue, startTestTracer, traced, type TestTracer } from '../support/ebpf/tracer.js';

const D = 15;
let t: TestTracer;
let plain: TestServer;
let tls: TestServer;

before(async () => {
  t = await startTestTracer();
  plain = await startServer({ delayMs: D });
  tls = await startServer({ delayMs: D, cert: makeCert() });
});
after(async () => {
  await t.tracer.close();
  await plain.close();
  await tls.close();
});

function client(endpoint: string): { s3: S3Client; destroy(): void } {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 4, rejectUnauthorized: false });
  const s3 = new S3Client({
    endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    expectContinueHeader: false, requestHandler: new NodeHttpHandler({ httpAgent, httpsAgent }),
  });
  return { s3, destroy: () => { s3.destroy(); httpAgent.destroy(); httpsAgent.destroy(); } };
}

const B = 'bucket';
const K = 'canary/object';
const COMMANDS: Array<[string, () => unknown]> = [
  ['CreateBucket', () => new CreateBucketCommand({ Bucket: B })],
  ['PutObject', () => new PutObjectCommand({ Bucket: B, Key: K, Body: Buffer.alloc(4096, 1) })],
  ['HeadObject', () => new HeadObjectCommand({ Bucket: B, Key: K })],
  ['GetObject', () => new GetObjectCommand({ Bucket: B, Key: K })],
  ['ListObjectsV2', () => new ListObjectsV2Command({ Bucket: B, Prefix: 'canary/' })],
  ['CreateMultipartUpload', () => new CreateMultipartUploadCommand({ Bucket: B, Key: K })],
  ['UploadPart', () => new UploadPartCommand({ Bucket: B, Key: K, UploadId: 'u1', PartNumber: 1, Body: Buffer.alloc(1024) })],
  ['CompleteMultipartUpload', () => new CompleteMultipartUploadCommand({ Bucket: B, Key: K, UploadId: 'u1', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"e"' }] } })],
  ['AbortMultipartUpload', () => new AbortMultipartUploadCommand({ Bucket: B, Key: K, UploadId: 'u2' })],
  ['DeleteObjects', () => new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: K }] } })],
  ['DeleteObject', () => new DeleteObjectCommand({ Bucket: B, Key: K })],
  ['DeleteBucket', () => new DeleteBucketCommand({ Bucket: B })],
  ['ListBuckets', () => new ListBucketsCommand({})],
];

for (const [proto, server] of [['http', () => plain], ['https', () => tls]] as const) {
  test(`AWS SDK over ${proto}: every operation joined, read from the wire, server >= D, client >= wire`, async () => {
    const c = client(`${proto}://127.0.0.1:${server().port}`);
    try {
      for (const [op, make] of COMMANDS) {
        const r = await traced(t.tracer, proto, op, async () => {
          const out = (await c.s3.send(make() as never)) as { Body?: { transformToByteArray(): Promise<Uint8Array> } };
          await out.Body?.transformToByteArray();
        });
        const w = r.wire;
        assert.ok(w, `${op}: joined`);
        assert.equal(r.trace.error, undefined, `${op}: ${r.trace.error}`);
        assert.equal(w.wireOperation?.candidates[0], op, `${op}: wire read ${JSON.stringify(w.wireOperation)}`);
        assert.equal(w.tls, proto === 'https');
        assert.ok(w.phases.server! >= D / 1000, `${op}: server ${w.phases.server}`);
        assert.ok(r.clientWindowSeconds >= w.wireSeconds!, `${op}: client ${r.clientWindowSeconds} >= wire ${w.wireSeconds}`);
      }
      assert.equal(await metricValue(t.registry, WIRE_METRICS.mismatches), undefined, 'no mismatches');
      assert.equal(await metricValue(t.registry, WIRE_METRICS.unmatched, { side: 'client' }), undefined, 'nothing unmatched');
    } finally {
      c.destroy();
    }
  });
}
