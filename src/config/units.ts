// Human units in config: sizes like "4KiB" and durations like "10s" or "500ms".
const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3,
};
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Bytes from a number or a string such as "4KiB", "1.5MB"; undefined when unparseable. */
export function parseSize(v: number | string): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  if (!m) return undefined;
  const mult = SIZE_UNITS[m[2]!.toLowerCase()];
  if (mult === undefined) return undefined;
  const n = Math.round(Number(m[1]) * mult);
  return Number.isFinite(n) ? n : undefined;
}

/** Milliseconds from a number (ms) or a string such as "10s", "1m30s", "250ms". */
export function parseDuration(v: number | string): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
  const s = v.trim();
  if (!s) return undefined;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
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
