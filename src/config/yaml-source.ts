// The config file's text to plain values. ${VAR} references survive YAML syntax they would break
// (an unquoted `{ key: ${VAR} }` is a flow mapping inside a flow mapping to YAML), and a syntax
// error quotes its line with a caret under the column.
import { randomBytes } from 'node:crypto';
import { parse, YAMLParseError } from 'yaml';
import { ENV_REFERENCE } from './interpolate.js';
import { redactLine } from './redact.js';

export class YamlSyntaxError extends Error {
  override name = 'YamlSyntaxError';
}

/** A reference swapped for a placeholder before parsing: where it stands in each text. */
interface Swap {
  ref: string;
  at: number;
  placeholder: string;
  placeholderAt: number;
}

export function parseYamlSource(text: string): unknown {
  const { shielded, swaps, restore } = shieldReferences(text);
  let value: unknown;
  try {
    value = parse(shielded, { uniqueKeys: true, prettyErrors: false });
  } catch (e) {
    if (!(e instanceof YAMLParseError)) throw new YamlSyntaxError(String(e));
    throw new YamlSyntaxError(`${e.message}${quote(text, originalOffset(e.pos[0], swaps))}`);
  }
  return restore(value);
}

/** Each reference becomes a bare word YAML takes as it is anywhere (plain, quoted or block scalar),
 *  and is put back, as written, into the parsed strings: values are only ever interpolated into
 *  parsed strings, never into YAML text. A default holding a quote, a backslash or a line break is
 *  left as it is, since YAML may unescape or fold it, and the placeholder would not. */
function shieldReferences(text: string): { shielded: string; swaps: Swap[]; restore: (v: unknown) => unknown } {
  let nonce: string;
  do nonce = `s3proberRef${randomBytes(6).toString('hex')}`; while (text.includes(nonce));
  const swaps: Swap[] = [];
  let shift = 0;
  const shielded = text.replace(ENV_REFERENCE, (ref: string, _name: string, def: string | undefined, at: number) => {
    if (def !== undefined && /["'\\\r\n]/.test(def)) return ref;
    const placeholder = `${nonce}_${swaps.length}_`;
    swaps.push({ ref, at, placeholder, placeholderAt: at + shift });
    shift += placeholder.length - ref.length;
    return placeholder;
  });
  const back = new RegExp(`${nonce}_(\\d+)_`, 'g');
  const restoreText = (s: string) => (swaps.length ? s.replace(back, (_m, i: string) => swaps[Number(i)]!.ref) : s);
  const restore = (v: unknown): unknown => {
    if (typeof v === 'string') return restoreText(v);
    if (Array.isArray(v)) return v.map(restore);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [restoreText(k), restore(x)]));
    return v;
  };
  return { shielded, swaps, restore };
}

/** Where an offset into the shielded text stands in the file as written. */
function originalOffset(offset: number, swaps: Swap[]): number {
  let shift = 0;
  for (const s of swaps) {
    if (offset < s.placeholderAt) break;
    if (offset < s.placeholderAt + s.placeholder.length) return s.at;
    shift = s.placeholderAt + s.placeholder.length - (s.at + s.ref.length);
  }
  return offset - shift;
}

/** " at line L, column C:" and the line, with a caret under the column. */
function quote(text: string, offset: number): string {
  // An error at the end of the file (an unclosed quote or bracket) is shown after its last character.
  const at = Math.min(offset, text.trimEnd().length);
  const start = text.lastIndexOf('\n', at - 1) + 1;
  const end = text.indexOf('\n', at);
  const line = text.slice(start, end === -1 ? undefined : end).replace(/\r$/, '');
  const lineNo = text.slice(0, start).split('\n').length;
  const col = at - start;
  const pad = line.slice(0, col).replace(/[^\t]/g, ' ');
  return ` at line ${lineNo}, column ${col + 1}:\n    ${redactLine(line)}\n    ${pad}^`;
}
