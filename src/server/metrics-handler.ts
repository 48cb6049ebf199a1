// /metrics with content negotiation: OpenMetrics when the scraper asks for it, the Prometheus text
// format otherwise. The process-lifetime and per-config registries are rendered together per scrape.
import type { Registry } from 'prom-client';
import type { Request, Response } from 'express';
import { CONTENT_TYPES, renderMetrics } from '../metrics/exposition.js';

export function metricsHandler(registries: () => Registry[]) {
  return async (req: Request, res: Response) => {
    const format = (req.get('accept') ?? '').includes('application/openmetrics-text') ? 'openmetrics' : 'prometheus';
    try {
      const body = await renderMetrics(registries(), format);
      // not res.send(): it would hash the whole body for an ETag (tens of ms at 18 MB) that no
      // scraper sends back
      res.set({ 'Content-Type': CONTENT_TYPES[format], 'Content-Length': String(body.length) }).end(body);
    } catch (err) {
      res.status(500).type('text/plain').send(`error rendering metrics: ${(err as Error).message}\n`);
    }
  };
}
