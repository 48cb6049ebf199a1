// The exporter's HTTP surface: /metrics, /-/healthy, /-/ready, the status API at /api/v1/status
// (its JSON Schema at /api/v1/status/schema) and the status page at /, a view of the same object.
import express, { type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { metricsHandler } from './metrics-handler.js';
import { renderStatusPage } from './status-page.js';
import { statusJsonSchema, type StatusV1 } from './status-schema.js';

export interface AppSources {
  /** Registries rendered together on /metrics. */
  registries(): Registry[];
  /** Ready once every target finished its first cycle. */
  ready(): boolean;
  /** What the status API returns and the page shows, built when asked. */
  status(): StatusV1;
  /** POST /-/reload; resolves with an error message when the new config was rejected. */
  reload?(): Promise<string | undefined>;
  /** Guards every endpoint (basic auth from the web config). */
  auth?: RequestHandler;
}

export function createApp(src: AppSources): express.Express {
  const app = express();
  app.disable('x-powered-by');
  if (src.auth) app.use(src.auth);
  app.get('/metrics', metricsHandler(src.registries));
  app.get('/-/healthy', (_req, res) => {
    res.type('text/plain').send('OK\n');
  });
  app.get('/-/ready', (_req, res) => {
    if (src.ready()) res.type('text/plain').send('ready\n');
    else res.status(503).type('text/plain').send('not ready: waiting for the first cycle of every target\n');
  });
  app.post('/-/reload', async (_req, res) => {
    if (!src.reload) return void res.status(404).type('text/plain').send('reload not supported\n');
    const err = await src.reload();
    if (err) res.status(400).type('text/plain').send(`reload failed, previous config kept: ${err}\n`);
    else res.type('text/plain').send('reloaded\n');
  });
  app.get('/api/v1/status', (_req, res) => {
    res.json(src.status());
  });
  const schema = JSON.stringify(statusJsonSchema());
  app.get('/api/v1/status/schema', (_req, res) => {
    res.type('application/schema+json').send(schema);
  });
  app.get('/', (_req, res) => {
    res.type('html').send(renderStatusPage(src.status()));
  });
  return app;
}
