// The families of the trace export (names in names.ts): what the collector took, what was lost and
// why. Registered only when traces are on; they live as long as the process.
import { Counter, type Registry } from 'prom-client';
import { SPAN_DROP_REASONS, type TraceExportSink } from '../results/trace-export.js';
import { TRACING_METRICS as N } from './names.js';

export function traceExportCounters(registry: Registry): TraceExportSink {
  const registers = [registry];
  const exported = new Counter({ name: N.spansExported, help: 'Spans the trace collector accepted.', registers });
  const dropped = new Counter({
    name: N.spansDropped,
    help: `Spans never exported, by reason (${SPAN_DROP_REASONS.join(', ')}): the export queue was full, or the collector failed or refused the batch.`,
    labelNames: ['reason'], registers,
  });
  const failures = new Counter({ name: N.exportFailures, help: 'Trace export requests that failed (collector unreachable, refused, timed out).', registers });
  for (const reason of SPAN_DROP_REASONS) dropped.inc({ reason }, 0);
  return {
    exported: (n) => exported.inc(n),
    dropped: (reason, n) => dropped.inc({ reason }, n),
    exportFailed: () => failures.inc(),
  };
}
