// Sections 3 and 4, scale and scrape: a scale worker per target count; the largest one (and, in a
// full run, the same targets on a 60 s schedule) is scraped from here while its cycles go on.
import type { Harness, R } from '../harness.js';
import type { S3Endpoint } from '../lib.js';
import { scrapeRun } from './scrape.js';

export async function sectionScale(h: Harness, rgw: S3Endpoint, doScale: boolean, doScrape: boolean): Promise<{ scale?: R; scrape?: R }> {
  const counts = h.quick ? [1, 3] : doScale ? [1, 10, 100, 300] : [300];
  const interval = h.quick ? 1 : 10;
  const slots = h.quick ? 2 : doScale ? 2 : 1;
  const rows: R[] = [];
  let scrape: R | undefined;
  for (const n of counts) {
    const last = n === counts[counts.length - 1];
    h.log(`scale: ${n} targets, ${interval} s interval, ${slots} intervals measured${last && doScrape ? ', then /metrics scrapes' : ''}`);
    const w = h.worker('scale', { rgw, targets: n, intervalSeconds: interval, slots, ebpf: h.ebpf, scrape: last && doScrape });
    try {
      const { type: _t, ...r } = await w.next<R>('result');
      rows.push(r);
      if (last && doScrape) {
        const { url } = await w.next<{ url: string }>('scrape-ready');
        scrape = { targets: n, cycles: r.cycles, failures: r.failures, reasons: r.reasons, ...(await scrapeRun(url, h.quick)) };
        w.send({ type: 'done' });
        const { type: _c, ...cpu } = await w.next<R>('scrape-cpu');
        scrape.whileScraped = { ...cpu, unscraped: { cpuCoreFraction: r.cpuCoreFraction, cpuMsPerCycle: r.cpuMsPerCycle } };
      }
    } finally {
      await w.stop(10_000);
    }
  }
  let linear: R | undefined;
  const by = (n: number) => rows.find((r) => r.targets === n);
  const lo = by(10) ?? rows[1];
  const hi = rows[rows.length - 1];
  if (lo && hi && lo !== hi) {
    linear = {
      from: lo.targets, to: hi.targets,
      cpuMsPerCycleRatio: hi.cpuMsPerCycle / lo.cpuMsPerCycle,
      cpuPer1000OpsRatio: hi.cpuSecondsPer1000Ops / lo.cpuSecondsPer1000Ops,
    };
  }
  if (doScrape && !h.quick) {
    // the same exporter at a minute's interval (cycles spread over it): what a scrape costs when the
    // prober's core is not already saturated by 300 targets every 10 s
    const n = counts[counts.length - 1]!;
    h.log(`scrape: ${n} targets, 60 s interval, /metrics scrapes`);
    const w = h.worker('scale', { rgw, targets: n, intervalSeconds: 60, slots: 0, ebpf: h.ebpf, scrape: true });
    try {
      const { type: _t, ...r } = await w.next<R>('result');
      const { url } = await w.next<{ url: string }>('scrape-ready');
      scrape!.minute = { intervalSeconds: 60, cycles: r.cycles, failures: r.failures, reasons: r.reasons, ...(await scrapeRun(url, h.quick)) };
      w.send({ type: 'done' });
      const { type: _c, ...cpu } = await w.next<R>('scrape-cpu');
      scrape!.minute.whileScraped = cpu;
    } finally {
      await w.stop(10_000);
    }
  }
  return { ...(doScale ? { scale: { intervalSeconds: interval, rows, linear } } : {}), ...(scrape ? { scrape } : {}) };
}
