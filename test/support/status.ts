// The status API's schema as a consumer sees it: the served JSON Schema compiled by an independent
// validator (Ajv, draft 2020-12, with its formats), not by the zod schema it is derived from.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** A validator of status responses: the list of what is wrong with one, empty when it is valid. */
export function statusValidator(schema: Record<string, unknown>): (value: unknown) => string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`));
}
