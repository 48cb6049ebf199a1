// When traces are on, and where they go: the config's `tracing` section or the standard OTEL_*
// variables; what s3prober cannot honour is refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { tracingSettings } from '../../../src/tracing/settings.js';

const target = '{ name: t, endpoint: "http://127.0.0.1:1", credentials: { accessKeyId: a, secretAccessKey: b } }';
const tracing = (yaml: string) => parseConfig(`${yaml}\ntargets: [${target}]`).tracing;

test('off by default; on by the config or by one OTEL_ endpoint variable', () => {
  assert.equal(tracingSettings(undefined, {}), undefined);
  assert.deepEqual(tracingSettings(tracing('tracing: { endpoint: "http://collector:4318/" }'), {}), { protocol: 'http/protobuf', url: 'http://collector:4318/v1/traces' });
  // the exporter reads the URL from the variables itself
  assert.deepEqual(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }), { protocol: 'http/protobuf' });
  assert.deepEqual(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }), { protocol: 'http/protobuf' });
  assert.equal(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }), undefined);
});

test('the config\'s headers, OTEL protocol, and the switches that turn traces off', () => {
  const c = tracing('tracing: { endpoint: "https://otlp.example.com", headers: { authorization: "Bearer x" } }');
  assert.deepEqual(tracingSettings(c, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), { protocol: 'http/json', url: 'https://otlp.example.com/v1/traces', headers: { authorization: 'Bearer x' } });
  assert.equal(tracingSettings(c, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })?.protocol, 'http/protobuf');
  assert.equal(tracingSettings(c, { OTEL_SDK_DISABLED: 'true' }), undefined);
  assert.equal(tracingSettings(c, { OTEL_TRACES_EXPORTER: 'none' }), undefined);
  assert.equal(tracingSettings(c, { OTEL_TRACES_EXPORTER: 'otlp' })?.protocol, 'http/protobuf');
});

test('gRPC, other exporters and a bad endpoint are refused with a message', () => {
  assert.throws(() => tracingSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), /"grpc".*http\/protobuf or http\/json/);
  assert.throws(() => tracingSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'zipkin' }), /otlp only/);
  assert.throws(() => tracing('tracing: { endpoint: "collector:4318" }'), /tracing\.endpoint.*http:\/\/ or https:\/\/ URL/s);
  assert.throws(() => tracing('tracing: { endpoint: "http://c:4318", sampler: always }'), /sampler/);
});
