// The status API's tests: the served JSON Schema compiled by an independent validator (Ajv, draft
// 2020-12, with its formats), not by the zod schema it is derived from; and the exporter they read.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { startExporter, type Exporter } from './exporter.js';
import { targetYaml } from './targets.js';

/** A validator of status responses: the list of what is wrong with one, empty when it is valid. */
export function statusValidator(schema: Record<string, unknown>): (value: unknown) => string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`));
}

/** The real exporter with a target that works (`good`, labels region=local) and one whose secret
 *  is wrong (`badkey`: CreateBucket fails with auth, its dependants are skipped), ready. One round
 *  only (a yearly schedule), so every view read afterwards is of the same cycles. */
export async function startStatusExporter(prefix: string, wrongSecret: string): Promise<Exporter> {
  const exp = await startExporter(
    {
      schedule: '0 0 1 1 *',
      timeout: '5s',
      targets: [
        targetYaml({ name: 'good', objectSizes: ['4KiB', '1MiB'], extra: { bucket: { mode: 'ephemeral', prefix: `${prefix}-good` }, labels: { region: 'local' } } }),
        targetYaml({ name: 'badkey', secret: '${BAD_SECRET}', objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: `${prefix}-bad` } } }),
      ],
    },
    { BAD_SECRET: wrongSecret },
  );
  try {
    await exp.waitReady();
  } catch (e) {
    await exp.stop();
    throw e;
  }
  return exp;
}
