// Wire-side S3 operation detection from request lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectOperation } from '../../../src/ebpf/request-line.js';
import { isMismatch } from '../../../src/results/wire.js';

const op = (line: string) => detectOperation(`${line}\r\nHost: s3.example\r\n`)?.candidates[0];

test('path-style S3 requests map to their API names', () => {
  const cases: Array<[string, string]> = [
    ['GET / HTTP/1.1', 'ListBuckets'],
    ['GET /?continuation-token=abc&max-buckets=1000&prefix=s3prober-1a2b3c- HTTP/1.1', 'ListBuckets'], // paginated, as the prober asks
    ['PUT /bucket HTTP/1.1', 'CreateBucket'],
    ['DELETE /bucket HTTP/1.1', 'DeleteBucket'],
    ['GET /bucket?list-type=2&prefix=a%2F HTTP/1.1', 'ListObjectsV2'],
    ['GET /bucket?prefix=a HTTP/1.1', 'ListObjects'],
    ['POST /bucket?delete HTTP/1.1', 'DeleteObjects'],
    ['PUT /bucket/dir/key HTTP/1.1', 'PutObject'],
    ['GET /bucket/key HTTP/1.1', 'GetObject'],
    ['HEAD /bucket/key HTTP/1.1', 'HeadObject'],
    ['DELETE /bucket/key HTTP/1.1', 'DeleteObject'],
    ['POST /b/k?uploads HTTP/1.1', 'CreateMultipartUpload'],
    ['PUT /b/k?partNumber=2&uploadId=abc HTTP/1.1', 'UploadPart'],
    ['POST /b/k?uploadId=abc HTTP/1.1', 'CompleteMultipartUpload'],
    ['DELETE /b/k?uploadId=abc HTTP/1.1', 'AbortMultipartUpload'],
    ['GET /b/k?uploadId=abc HTTP/1.1', 'ListParts'],
    ['GET /bucket?uploads HTTP/1.1', 'ListMultipartUploads'],
  ];
  for (const [line, want] of cases) assert.equal(op(line), want, line);
});

test('the SDK x-id parameter names the operation', () => {
  assert.equal(op('PUT /bucket/key?x-id=PutObject HTTP/1.1'), 'PutObject');
});

test('virtual-hosted requests are accepted under their other reading', () => {
  const w = detectOperation('GET /key HTTP/1.1\r\n');
  assert.deepEqual(w?.candidates, ['ListObjects', 'GetObject']);
  assert.equal(isMismatch('GetObject', w), false);
  assert.equal(isMismatch('PutObject', w), true);
});

test('a cut or foreign request line yields no reading, and so no mismatch', () => {
  assert.equal(detectOperation('PUT /bucket/a-very-long-key-cut-before-the-qu'), undefined);
  assert.equal(detectOperation('\x16\x03\x01\x02\x00'), undefined);
  assert.equal(isMismatch('PutObject', undefined), false);
});
