// Scrapes of a worker's /metrics from the harness's own process (section 4): as Prometheus 3 asks
// and as curl does, alternately.
import http from 'node:http';
import type { R } from '../harness.js';
import { dist } from '../lib.js';

/** What Prometheus 3 sends: OpenMetrics first, gzip. */
const PROMETHEUS_HEADERS = {
  Accept: 'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
  'Accept-Encoding': 'gzip',
};

function scrapeOnce(url: string, headers: Record<string, string> = {}): Promise<{ ms: number; bytes: number; status: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    http.get(url, { agent: false, headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes, status: res.statusCode ?? 0 }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** Scrapes at a fraction of the cycle interval, so each scrape finds many series changed since the
 *  last one (back to back, it would find few); alternately as Prometheus does (OpenMetrics, gzip)
 *  and as curl does (text, uncompressed). The target is judged on Prometheus' scrape. */
export async function scrapeRun(url: string, quick: boolean): Promise<R> {
  const k = quick ? 4 : 16;
  const every = quick ? 200 : 4000;
  const got: { ms: number; bytes: number; status: number }[][] = [[], []];
  for (let i = 0; i < k; i++) {
    const t = Date.now();
    got[i % 2]!.push(await scrapeOnce(url, i % 2 ? {} : PROMETHEUS_HEADERS));
    await new Promise((res) => setTimeout(res, Math.max(0, every - (Date.now() - t))));
  }
  const text = await new Promise<string>((res, rej) => http.get(url, (q) => { let s = ''; q.setEncoding('utf8'); q.on('data', (c: string) => (s += c)); q.on('end', () => res(s)); }).on('error', rej));
  // the first scrape of each kind renders (and compresses) every series: apart from the rest
  const kind = (g: { ms: number; bytes: number; status: number }[]) => ({
    scrapes: g.length, status: [...new Set(g.map((x) => x.status))], firstMs: g[0]?.ms, latencyMs: dist(g.slice(1).map((x) => x.ms)), bytes: dist(g.map((x) => x.bytes)),
    eachMs: g.map((x) => Math.round(x.ms * 10) / 10),
  });
  return { everyMs: every, series: text.split('\n').filter((l) => l && !l.startsWith('#')).length, ...kind(got[0]!), plain: kind(got[1]!) };
}
