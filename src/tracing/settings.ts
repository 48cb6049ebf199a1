// Whether and where traces are exported: the config's `tracing` section or the standard OTEL_*
// variables. The exporter and the SDK read the rest of OTEL_* themselves (headers, timeout,
// compression, certificates, OTEL_BSP_*, OTEL_TRACES_SAMPLER, OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES); what they cannot do is refused here with a clear message.
import type { TracingConfig } from '../config/tracing.js';

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export interface TracingSettings {
  protocol: OtlpProtocol;
  /** The OTLP/HTTP traces URL from the config; undefined: the exporter reads it from OTEL_*. */
  url?: string;
  headers?: Record<string, string>;
}

type Env = Record<string, string | undefined>;

const set = (v: string | undefined): string | undefined => (v?.trim() ? v.trim() : undefined);

/** Where the config's endpoint (an OTLP base URL, as OTEL_EXPORTER_OTLP_ENDPOINT) takes traces. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** undefined: traces are off. Throws on a setting s3prober cannot honour. */
export function tracingSettings(config: TracingConfig | undefined, env: Env = process.env): TracingSettings | undefined {
  if (set(env.OTEL_SDK_DISABLED)?.toLowerCase() === 'true') return undefined;
  const exporters = set(env.OTEL_TRACES_EXPORTER)?.split(',').map((s) => s.trim().toLowerCase());
  if (exporters?.includes('none')) return undefined;
  const fromEnv = set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ?? set(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (!config && !fromEnv) return undefined;
  const unsupported = exporters?.filter((e) => e !== 'otlp') ?? [];
  if (unsupported.length) throw new Error(`OTEL_TRACES_EXPORTER=${env.OTEL_TRACES_EXPORTER}: s3prober exports traces with otlp only (or none)`);
  const protocol = set(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? set(env.OTEL_EXPORTER_OTLP_PROTOCOL) ?? 'http/protobuf';
  if (!(OTLP_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new Error(`OTLP protocol ${JSON.stringify(protocol)} (OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL): s3prober exports traces over ${OTLP_PROTOCOLS.join(' or ')}`);
  }
  return {
    protocol: protocol as OtlpProtocol,
    ...(config ? { url: tracesUrl(config.endpoint) } : {}),
    ...(config && Object.keys(config.headers).length ? { headers: config.headers } : {}),
  };
}
