// Reads the provisioned Grafana dashboards and expands their panel queries the way Grafana
// would, so tests can parse and execute them. Not a test file itself.
import { readdirSync, readFileSync } from 'node:fs';
import { repoPath } from './lib.js';

export interface DashTarget {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
  legendFormat?: string;
  instant?: boolean;
  format?: string;
}
export interface DashPanel {
  id: number;
  type: string;
  title?: string;
  description?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: DashTarget[];
  options?: Record<string, unknown>;
  fieldConfig?: { defaults?: { custom?: Record<string, unknown> } };
  panels?: DashPanel[];
}
export interface DashVariable {
  name: string;
  type: string;
  query?: string | { query: string };
  multi?: boolean;
  includeAll?: boolean;
}
export interface DashboardJson {
  uid: string;
  title: string;
  panels: DashPanel[];
  templating: { list: DashVariable[] };
}

export const dashboardDir = repoPath('deploy', 'grafana', 'dashboards');

export function loadDashboards(dir = dashboardDir): { file: string; text: string; json: DashboardJson }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(`${dir}/${file}`, 'utf8');
      return { file, text, json: JSON.parse(text) as DashboardJson };
    });
}

export function allPanels(d: DashboardJson): DashPanel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Grafana's built-in interval variables, replaced by fixed durations suited to the caller. */
export interface Substitutions {
  rateInterval: string;
  range: string;
  vars: Record<string, string>;
}

export function expand(expr: string, s: Substitutions): string {
  let out = expr
    .replaceAll('$__rate_interval', s.rateInterval)
    .replaceAll('$__range', s.range)
    .replaceAll('$__interval', s.rateInterval);
  for (const [k, v] of Object.entries(s.vars)) {
    out = out.replaceAll(`\${${k}}`, v).replace(new RegExp(`\\$${k}\\b`, 'g'), v);
  }
  return out;
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
}

export function panelQueries(): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const { json } of loadDashboards()) {
    for (const p of allPanels(json)) {
      for (const t of p.targets ?? []) {
        if (t.expr !== undefined) {
          out.push({ dashboard: json.uid, panel: p.title ?? String(p.id), refId: t.refId ?? '', expr: t.expr, instant: t.instant === true });
        }
      }
    }
  }
  return out;
}

/** The per-node dashboard's uid: its panels only have data for targets that probe their nodes. */
export const NODES_DASHBOARD = 's3prober-nodes';
