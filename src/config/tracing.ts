// The config's `tracing` section (opt-in): where OTLP/HTTP traces go. The standard OTEL_* variables
// turn traces on as well (src/tracing/settings.ts).
import { z } from 'zod';

const httpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, { message: 'expected an http:// or https:// URL of an OTLP/HTTP receiver, e.g. "http://otel-collector:4318"' });

export const tracingSchema = z.strictObject({
  /** Base URL, as OTEL_EXPORTER_OTLP_ENDPOINT: traces go to <endpoint>/v1/traces. */
  endpoint: httpUrl,
  /** Sent with every export (e.g. an authorization token); merged over OTEL_EXPORTER_OTLP_HEADERS. */
  headers: z.record(z.string(), z.string()).default({}),
});

export type TracingConfig = z.output<typeof tracingSchema>;
