// Section 5, tracer throughput: the echo server in its own process and the throughput worker.
import type { Harness, R } from '../harness.js';

export async function sectionThroughput(h: Harness): Promise<R> {
  const echo = await h.server('echo');
  try {
    const concurrency = h.quick ? [1, 4] : [1, 4, 16, 64];
    h.log(`throughput: tracer on, concurrency ${concurrency.join(', ')}, SDK and bare HTTP`);
    const r = await h.run1('throughput', { echoUrl: echo.url, concurrency, seconds: h.quick ? 0.5 : 4 });
    const clean = (r.steps as R[]).filter((s) => s.dropped === 0);
    const best = (kind: string) => clean.filter((s) => s.client === kind).reduce<R | undefined>((a, s) => (!a || s.opsPerSecond > a.opsPerSecond ? s : a), undefined);
    return { ...r, maxZeroDropOpsPerSecond: { sdk: best('sdk')?.opsPerSecond, http: best('http')?.opsPerSecond }, anyDrops: (r.steps as R[]).some((s) => s.dropped > 0) };
  } finally {
    await echo.child.stop();
  }
}
