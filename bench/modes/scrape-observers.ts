// What a worker watches of itself while the harness scrapes its /metrics (scale mode, scrape run).
import dc from 'node:diagnostics_channel';
import type http from 'node:http';
import { constants as perfConstants, PerformanceObserver } from 'node:perf_hooks';

/** GC pauses (ms) while observed: how much of the event loop's delay is the collector's. */
export function gcPauses() {
  const minor: number[] = [];
  const major: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR ? major : minor).push(e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    stop() {
      obs.disconnect();
      return { major: { n: major.length, totalMs: sum(major), maxMs: Math.max(0, ...major) }, minor: { n: minor.length, totalMs: sum(minor), maxMs: Math.max(0, ...minor) } };
    },
  };
}

/**
 * Each /metrics response's time inside the exporter: from its request's headers parsed (Node's
 * http.server.request.start) to its last byte handed to the socket (response.finish). What the
 * scraper measures on top is the wait for the event loop to reach the request and the client's
 * own reading, which on this 2-core box shares a core with RGW.
 */
export function serverSideScrapes() {
  const started = new WeakMap<object, bigint>();
  const ms: { gzip: number[]; identity: number[] } = { gzip: [], identity: [] };
  const onStart = (m: unknown) => {
    const { request } = m as { request: http.IncomingMessage };
    if (request.url?.startsWith('/metrics')) started.set(request, process.hrtime.bigint());
  };
  const onFinish = (m: unknown) => {
    const { request, response } = m as { request: http.IncomingMessage; response: http.ServerResponse };
    const t = started.get(request);
    if (t === undefined) return;
    const gz = String(response.getHeader('content-encoding') ?? '') === 'gzip';
    ms[gz ? 'gzip' : 'identity'].push(Math.round(Number(process.hrtime.bigint() - t) / 1e5) / 10);
  };
  dc.subscribe('http.server.request.start', onStart);
  dc.subscribe('http.server.response.finish', onFinish);
  return {
    ms,
    stop() {
      dc.unsubscribe('http.server.request.start', onStart);
      dc.unsubscribe('http.server.response.finish', onFinish);
    },
  };
}
