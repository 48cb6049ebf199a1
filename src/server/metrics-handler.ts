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
      res.set('Content-Type', CONTENT_TYPES[format]).send(body);
    } catch (err) {
      res.status(500).type('text/plain').send(`error rendering metrics: ${(err as Error).message}\n`);
    }
  };
}
