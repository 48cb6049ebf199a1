// /metrics with content negotiation: OpenMetrics when the scraper asks for it, the Prometheus text
// format otherwise. The process-lifetime and per-config registries are merged at scrape time.
import { Registry } from 'prom-client';
import type { Request, Response } from 'express';

type AnyRegistry = Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE | typeof Registry.PROMETHEUS_CONTENT_TYPE>;

export function metricsHandler(registries: () => Registry[]) {
  return async (req: Request, res: Response) => {
    const openMetrics = (req.get('accept') ?? '').includes('application/openmetrics-text');
    try {
      // A fresh merged registry per scrape: its content type cannot leak into a concurrent scrape.
      const merged = Registry.merge(registries()) as unknown as AnyRegistry;
      merged.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
      const body = await merged.metrics();
      res.set('Content-Type', merged.contentType).send(body);
    } catch (err) {
      res.status(500).type('text/plain').send(`error rendering metrics: ${(err as Error).message}\n`);
    }
  };
}
