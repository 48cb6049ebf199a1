// Zod's issues as a new user needs them: a missing key is "required", an unknown key is named with
// the known key it nearly is, and a union names what went wrong in the branch the input meant.
// Known keys come from the schema itself. Values are never echoed: they may be secrets.
import { z } from 'zod';
import { nearMiss } from './near-miss.js';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

export function describeIssues(issues: readonly Issue[], schema: z.core.$ZodType, input: unknown, prefix: Path = []): string[] {
  return issues.flatMap((issue) => describeIssue(issue, schema, input, prefix));
}

function describeIssue(issue: Issue, schema: z.core.$ZodType, input: unknown, prefix: Path): string[] {
  const path = [...prefix, ...issue.path];
  if (issue.code !== 'custom' && isAbsent(input, issue.path)) return [`${show(path)}: required`];
  if (issue.code === 'unrecognized_keys') {
    return unknownKeys(path, issue.keys, keysOf(schemaAt(schema, issue.path, input), valueAt(input, issue.path)));
  }
  if (issue.code === 'invalid_union' && issue.errors.length) {
    const union = schemaAt(schema, issue.path, input);
    const value = valueAt(input, issue.path);
    if (union instanceof z.ZodUnion) {
      const branch = meantBranch(issue.errors, value);
      if (branch !== undefined) return describeIssues(issue.errors[branch]!, union.options[branch]!, value, path);
      // No branch meant: keys no branch knows are still worth naming, with any branch's near miss.
      const strangers = issue.errors.map(unknownAtRoot).reduce((a, b) => a.filter((k) => b.includes(k)));
      const known = [...new Set(union.options.flatMap((o) => keysOf(o, undefined)))];
      return [...unknownKeys(path, strangers, known), `${show(path)}: ${issue.message}`];
    }
  }
  return [`${show(path)}: ${issue.message}`];
}

function unknownKeys(path: Path, keys: readonly string[], known: readonly string[]): string[] {
  return keys.map((k) => {
    const near = nearMiss(k, known);
    return `${show([...path, k])}: unknown key${near ? `, did you mean "${near}"?` : `; known keys: ${known.join(', ')}`}`;
  });
}

const unknownAtRoot = (issues: readonly Issue[]): string[] =>
  issues.flatMap((i) => (i.code === 'unrecognized_keys' && i.path.length === 0 ? i.keys : []));

const show = (path: Path) => path.map(String).join('.') || '(root)';

const isRecord = (v: unknown): v is Record<PropertyKey, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function valueAt(input: unknown, path: Path): unknown {
  let v = input;
  for (const seg of path) v = isRecord(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  return v;
}

/** The key at the end of the path is not in its mapping at all. */
function isAbsent(input: unknown, path: Path): boolean {
  if (!path.length) return false;
  const parent = valueAt(input, path.slice(0, -1));
  return isRecord(parent) && !Object.hasOwn(parent, path[path.length - 1]!);
}

/** The branch of a union of mappings the input meant: the one that knows the most of its keys, when
 *  one does (credentials with a mistyped key); otherwise the union's own message is clearer. */
function meantBranch(branches: readonly (readonly Issue[])[], value: unknown): number | undefined {
  if (!isRecord(value)) return undefined;
  const keys = Object.keys(value);
  const known = branches.map((issues) => {
    const unknown = unknownAtRoot(issues);
    return keys.filter((k) => !unknown.includes(k)).length;
  });
  const most = Math.max(...known);
  return most > 0 && known.filter((n) => n === most).length === 1 ? known.indexOf(most) : undefined;
}

/** The schema that validates the value at `path`, through defaults, optionals, pipes, arrays and unions. */
function schemaAt(schema: z.core.$ZodType, path: Path, input: unknown): z.core.$ZodType | undefined {
  let s: z.core.$ZodType | undefined = unwrap(schema);
  let v = input;
  for (const seg of path) {
    if (s instanceof z.ZodArray) s = s.element;
    else s = objectsOf(s, v).map((o) => o.shape[String(seg)]).find((f) => f !== undefined);
    if (!s) return undefined;
    s = unwrap(s);
    v = valueAt(v, [seg]);
  }
  return s;
}

function keysOf(schema: z.core.$ZodType | undefined, value: unknown): string[] {
  return [...new Set(objectsOf(schema, value).flatMap((o) => Object.keys(o.shape)))];
}

/** The mappings a schema accepts; of a union's, those whose literal keys (a discriminator such as
 *  bucket.mode) the value matches, or all of them when it matches none. */
function objectsOf(schema: z.core.$ZodType | undefined, value: unknown): z.ZodObject[] {
  const s = schema && unwrap(schema);
  if (s instanceof z.ZodObject) return [s];
  if (!(s instanceof z.ZodUnion)) return [];
  const all = s.options.flatMap((o) => objectsOf(o, value));
  const fitting = all.filter((o) =>
    Object.entries(o.shape).every(([k, f]) => {
      const lit = unwrap(f);
      return !(lit instanceof z.ZodLiteral) || (isRecord(value) && lit.values.has(value[k] as never));
    }),
  );
  return fitting.length ? fitting : all;
}

function unwrap(s: z.core.$ZodType): z.core.$ZodType {
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPrefault || s instanceof z.ZodNullable) s = s.unwrap();
    else if (s instanceof z.ZodPipe) s = s.in;
    else return s;
  }
}
