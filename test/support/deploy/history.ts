// A day of history for a test Prometheus, so that rules over a day's window (the anomaly
// baselines) have something to compare with. Two steps, both with promtool:
// 1. the live exporter's own series (the label sets of a real scrape) written as OpenMetrics with a
//    steady, healthy history, imported by `tsdb create-blocks-from openmetrics`;
// 2. the shipped recording rules evaluated over that range by `tsdb create-blocks-from rules`
//    against a Prometheus serving it. Prometheus evaluates rules only forward in time, and the
//    importer only reads what the Prometheus it queries has, so rules that read other recorded
//    series are evaluated a level at a time, Prometheus restarted on the grown TSDB in between.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runOk } from './lib.js';
import { startPrometheus } from './prometheus.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (no comments). Label values are unescaped. */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** One series of the history and its increase at each step (a counter's: never negative). */
export interface HistorySeries {
  name: string;
  labels: Record<string, string>;
  increase(t: number): number;
}

export interface HistoryFamily {
  /** The family's name in OpenMetrics (a counter's without `_total`). */
  family: string;
  type: 'counter' | 'histogram';
  series: HistorySeries[];
}

const escapeValue = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (l: Record<string, string>): string =>
  Object.entries(l).map(([k, v]) => `${k}="${escapeValue(v)}"`).join(',');

/** OpenMetrics text of the families' cumulative values at times (unix seconds, ascending),
 *  each series starting from 0 at the first. */
export function openMetricsHistory(families: HistoryFamily[], times: number[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# TYPE ${f.family} ${f.type}`);
    for (const s of f.series) {
      let v = 0;
      const head = `${s.name}{${labelText(s.labels)}} `;
      for (const t of times) {
        v += s.increase(t);
        lines.push(`${head}${v} ${t}`);
      }
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

interface RuleGroup {
  name: string;
  interval?: string;
  rules: { record?: string; alert?: string; expr: string }[];
}

/** The recording rules of the named groups of a rule file, in dependency levels: each level reads
 *  only raw series and the records of the levels before it. */
export function ruleLevels(ruleFile: string, groupNames: string[]): RuleGroup[][] {
  const groups = (parse(readFileSync(ruleFile, 'utf8')) as { groups: RuleGroup[] }).groups.filter((g) => groupNames.includes(g.name));
  const missing = groupNames.filter((n) => !groups.some((g) => g.name === n));
  if (missing.length > 0) throw new Error(`${ruleFile}: no group ${missing.join(', ')}`);
  const records = groups.flatMap((g) => g.rules.filter((r) => r.record));
  const produced = new Set(records.map((r) => r.record!));
  const reads = (expr: string) => [...expr.matchAll(/[a-zA-Z_][a-zA-Z0-9_]*(?::[a-zA-Z0-9_]+)+/g)].map((m) => m[0]).filter((n) => produced.has(n));
  const done = new Set<string>();
  const levels: RuleGroup[][] = [];
  while (done.size < records.length) {
    const level = groups
      .map((g) => ({ ...g, rules: g.rules.filter((r) => r.record && !done.has(r.record) && reads(r.expr).every((n) => done.has(n))) }))
      .filter((g) => g.rules.length > 0);
    if (level.length === 0) throw new Error(`${ruleFile}: recording rules that read each other in a cycle`);
    for (const g of level) for (const r of g.rules) done.add(r.record!);
    levels.push(level);
  }
  return levels;
}

/** Imports the OpenMetrics text into the TSDB `dir`/tsdb, then evaluates the rule levels over
 *  [start, end] (unix seconds) every `evalInterval` into it. `dir` is the folder a later
 *  startPrometheus({ dir }) serves. */
export async function backfill(dir: string, openMetrics: string, levels: RuleGroup[][], start: number, end: number, evalInterval = '60s'): Promise<void> {
  const tsdb = join(dir, 'tsdb');
  mkdirSync(tsdb, { recursive: true });
  const input = join(dir, 'history.om');
  writeFileSync(input, openMetrics);
  runOk('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, tsdb]);
  rmSync(input);
  for (const [i, level] of levels.entries()) {
    const rules = join(dir, `history-rules-${i}.yml`);
    writeFileSync(rules, stringify({ groups: level }));
    const out = join(dir, `history-blocks-${i}`);
    const prometheus = await startPrometheus({ dir, ruleFiles: [], targets: [] });
    try {
      runOk('promtool', ['tsdb', 'create-blocks-from', 'rules', `--start=${start}`, `--end=${end}`, `--url=${prometheus.url}`,
        `--output-dir=${out}`, `--eval-interval=${evalInterval}`, rules]);
    } finally {
      await prometheus.kill();
    }
    for (const block of readdirSync(out)) renameSync(join(out, block), join(tsdb, block));
    rmSync(out, { recursive: true, force: true });
    rmSync(rules);
  }
}
