// Section 1, cost per operation: the cost worker, tracer off and on in separate processes.
import type { Harness, R } from '../harness.js';
import { describeForm, type S3Endpoint } from '../lib.js';

export async function sectionCost(h: Harness, rgw: S3Endpoint): Promise<R> {
  const form = h.proberForm();
  const o = { rgw, targets: 10, warmSeconds: h.quick ? 1 : 3, seconds: h.quick ? 2 : 12 };
  // separate processes per mode (honest RSS); off/on alternate so drift hits both
  const order = (h.quick ? [false, true] : [false, true, false, true]).map((on) => on && h.ebpf);
  const runs: R[] = [];
  for (const ebpf of order) {
    h.log(`cost: 10 targets, tracer ${ebpf ? 'on' : 'off'}, ${o.seconds} s (${form.form} ${describeForm(form)})`);
    runs.push(await h.run1('cost', { ...o, ebpf }));
  }
  const agg = (on: boolean) => {
    const rs = runs.filter((r) => r.tracerRequested === on);
    const cpu = rs.reduce((a, r) => a + r.cpuSeconds, 0);
    const ops = rs.reduce((a, r) => a + r.ops, 0);
    return {
      runs: rs.length, ops, cpuSeconds: cpu, cpuSecondsPer1000Ops: (cpu / ops) * 1000,
      peakRssMb: Math.max(...rs.map((r) => r.peakRssMb)), tracerUp: rs.every((r) => r.tracerUp),
      // where the memory was in the run whose measured window saw the highest RSS
      peakRssBreakdown: rs.map((r) => r.peakRssBreakdown).sort((a, b) => b.rssMb - a.rssMb)[0],
      opsPerSecond: rs.reduce((a, r) => a + r.opsPerSecond, 0) / rs.length,
      failures: rs.reduce((a, r) => a + r.failures, 0),
    };
  };
  const off = agg(false);
  const on = h.ebpf ? agg(true) : undefined;
  return { targets: 10, objectSize: '4KiB', form: form.form, nodeArgs: form.nodeArgs, env: form.env, off, on, cpuRatioOnOff: on ? on.cpuSecondsPer1000Ops / off.cpuSecondsPer1000Ops : undefined, runs };
}
