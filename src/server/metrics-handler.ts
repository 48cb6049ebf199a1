// /metrics with content negotiation: OpenMetrics when the scraper asks for it, the Prometheus text
// format otherwise; gzip when the scraper accepts it (Prometheus always does). The process-lifetime
// and per-config registries are rendered together per scrape.
import type { Registry } from 'prom-client';
import type { Request, Response } from 'express';
import { CONTENT_TYPES, renderMetrics } from '../exposition/render.js';

export function metricsHandler(registries: () => Registry[]) {
  return async (req: Request, res: Response) => {
    const format = (req.get('accept') ?? '').includes('application/openmetrics-text') ? 'openmetrics' : 'prometheus';
    try {
      const exposition = await renderMetrics(registries(), format);
      res.vary('Accept-Encoding').type(CONTENT_TYPES[format]);
      // not res.send(): it would hash the whole body for an ETag that no scraper sends back
      if (req.acceptsEncodings('gzip', 'identity') === 'gzip') {
        // joins the parts' kept compression (a remote region's prober is scraped across a WAN); only
        // what changed since the cycles ended is compressed here, on the event loop: a thread-pool
        // round trip would wait a turn of a busy loop (BENCHMARKS.md, scrape)
        const body = exposition.gzip();
        res.set({ 'Content-Encoding': 'gzip', 'Content-Length': String(body.length) }).end(body);
        return;
      }
      // the parts as they are, one vectored write: no copy of the whole text
      res.set('Content-Length', String(exposition.length));
      res.cork();
      for (const p of exposition.parts) res.write(p.text);
      res.end();
    } catch (err) {
      res.status(500).type('text/plain').send(`error rendering metrics: ${(err as Error).message}\n`);
    }
  };
}
