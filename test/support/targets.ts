// Config fragments for tests: real targets built through the real config parser (so defaults apply).
import { parseConfig } from '../../src/config/load.js';
import type { Config, TargetConfig } from '../../src/config/schema.js';
import { testRgw } from './rgw.js';

export interface TargetSpec {
  name?: string;
  endpoint?: string;
  secret?: string;
  bucket?: { mode: 'ephemeral' } | { mode: 'fixed'; name: string };
  objectSizes?: (string | number)[];
  extra?: Record<string, unknown>;
}

/** A target pointing at the test RGW unless told otherwise. Secrets come through ${ENV}, as in production. */
export function targetYaml(spec: TargetSpec = {}): Record<string, unknown> {
  const rgw = testRgw();
  return {
    name: spec.name ?? 'rgw',
    endpoint: spec.endpoint ?? rgw.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: spec.secret ?? '${S3PROBER_TEST_SECRET_KEY}' },
    bucket: spec.bucket ?? { mode: 'ephemeral' },
    objectSizes: spec.objectSizes ?? ['4KiB', '1MiB', '6MiB'],
    batchSize: 7,
    listPageSize: 3,
    ...spec.extra,
  };
}

export function testConfig(targets: TargetSpec[], top: Record<string, unknown> = {}): Config {
  return parseConfig(JSON.stringify({ timeout: '5s', ...top, targets: targets.map(targetYaml) }), process.env);
}

export function testTarget(spec: TargetSpec = {}): TargetConfig {
  return testConfig([spec]).targets[0]!;
}
