// Human units in config: sizes like "4KiB" and durations like "10s" or "500ms".
// These tables are the one home of the units: parsing and the error messages derive from them.
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3, MB: 1e6, GB: 1e9,
  KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3,
};
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

// Size units match in any case ("4kib"); a bare number is bytes.
const SIZE_BY_LOWER = new Map([['', 1], ...Object.entries(SIZE_UNITS).map(([u, n]) => [u.toLowerCase(), n] as const)]);
// Longest unit first, so "ms" is never read as "m" followed by garbage.
const DURATION_RE = new RegExp(
  `(\\d+(?:\\.\\d+)?)(${Object.keys(DURATION_UNITS).sort((a, b) => b.length - a.length).join('|')})`,
  'g',
);

export const SIZE_UNIT_NAMES: readonly string[] = Object.keys(SIZE_UNITS);
export const DURATION_UNIT_NAMES: readonly string[] = Object.keys(DURATION_UNITS);
/** For error messages: the units a size accepts. */
export const SIZE_UNITS_TEXT = `units ${SIZE_UNIT_NAMES.join(', ')}; a bare number is bytes`;
/** For error messages: the units a duration accepts. */
export const DURATION_UNITS_TEXT = `units ${DURATION_UNIT_NAMES.join(', ')}, combined as in 1m30s; a bare number is milliseconds`;

/** Bytes from a number or a string such as "4KiB", "1.5MB"; undefined when unparseable. */
export function parseSize(v: number | string): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  if (!m) return undefined;
  const mult = SIZE_BY_LOWER.get(m[2]!.toLowerCase());
  if (mult === undefined) return undefined;
  const n = Math.round(Number(m[1]) * mult);
  return Number.isFinite(n) ? n : undefined;
}

/** Milliseconds from a number (ms) or a string such as "10s", "1m30s", "250ms". */
export function parseDuration(v: number | string): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  const s = v.trim();
  if (!s) return undefined;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(DURATION_RE)) {
    if (m.index !== consumed) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    consumed += m[0].length;
  }
  return consumed === s.length ? total : undefined;
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3 && n % 1024 ** 3 === 0) return `${n / 1024 ** 3}GiB`;
  if (n >= 1024 ** 2 && n % 1024 ** 2 === 0) return `${n / 1024 ** 2}MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}KiB`;
  return `${n}B`;
}
