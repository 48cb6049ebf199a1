// The wire's timing of each request the tracer joined, for the status page and API: a consumer of
// the wire tracer's results. Keyed by the request's own trace (the object the cycle's operation
// result holds), weakly: it lives as long as the results that show it.
import type { RequestTrace } from '../results/request-trace.js';
import type { WireResult, WireTiming } from '../results/wire.js';

export class WireView {
  private readonly byTrace = new WeakMap<RequestTrace, WireTiming>();

  record({ trace, wire }: WireResult): void {
    this.byTrace.set(trace, wire);
  }

  /** The wire's timing of this request; undefined when the tracer did not join it. */
  timingOf(trace: RequestTrace): WireTiming | undefined {
    return this.byTrace.get(trace);
  }
}
