// Sections 3 and 4, scale and scrape: n targets on a schedule, measured over whole intervals after
// the start-up round; with `scrape`, the harness then scrapes /metrics while the cycles go on. With
// `shard`, one shard of the sharded scale section (bench/sections/scale-sharded.ts): the same config,
// only its own targets, its window started by the harness together with the other shards'.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Shard } from '../../src/config/shard.js';
import { dist, scaleConfigName, type S3Endpoint } from '../lib.js';
import { exporter, resetSeen, seen, until } from './exporter.js';
import { cpuSeconds, eld, eldMs, mb, memory, msAll, peakRssMb } from './figures.js';
import { fromHarness, send } from './ipc.js';
import { gcPauses, serverSideScrapes } from './scrape-observers.js';

export interface ScaleOptions {
  rgw: S3Endpoint; targets: number; intervalSeconds: number; slots: number; ebpf: boolean; scrape: boolean;
  /** `run --shard INDEX/COUNT`: probe this shard's targets of the `targets`-target config. */
  shard?: Shard;
}

export async function scale(o: ScaleOptions): Promise<Record<string, unknown>> {
  const schedule = o.intervalSeconds === 1 ? '* * * * * *' : o.intervalSeconds === 60 ? '0 * * * * *' : `*/${o.intervalSeconds} * * * * *`;
  const { rt, tracerUp } = await exporter(o.rgw, { targets: o.targets, name: scaleConfigName(o.targets), schedule, ebpf: o.ebpf, shard: o.shard });
  const probed = rt.config.targets.length;
  // The start-up round (sweep + first cycle of every target within 2 s) is not steady state.
  const firstRoundDone = await until(() => seen.cycles >= probed, o.intervalSeconds * 1000 * 3);
  const startup = { drift: dist(msAll(seen.drift)), cycles: seen.cycles };
  if (o.shard) {
    // every shard measures the same window: the harness starts it once all are past their start-up round
    const go = fromHarness('measure');
    await send({ type: 'warm' });
    await go;
  }
  resetSeen();
  const h = eld();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await sleep(o.slots * o.intervalSeconds * 1000);
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const result = {
    targets: o.targets, tracerUp, intervalSeconds: o.intervalSeconds, seconds: wall, firstRoundDone, startup,
    ...(o.shard ? { shard: o.shard, targetsProbed: probed, probedNames: rt.config.targets.map((t) => t.name) } : {}),
    cycles: seen.cycles, cyclesSkipped: seen.skipped, ops: seen.ops, failures: seen.failures, reasons: seen.reasons,
    cpuSeconds: cpu, cpuCoreFraction: cpu / wall, cpuMsPerCycle: (cpu / Math.max(1, seen.cycles)) * 1000,
    cpuSecondsPer1000Ops: seen.ops ? (cpu / seen.ops) * 1000 : undefined,
    rssMb: mb(process.memoryUsage().rss), peakRssMb: peakRssMb(), eventLoopDelayMs: eldMs(h),
    driftMs: dist(msAll(seen.drift)), cycleSeconds: dist(seen.cycleSeconds), memory: memory(),
    // a shard's raw samples, for the figures over all shards (the harness drops them after)
    ...(o.shard ? { samples: { driftMs: msAll(seen.drift), cycleSeconds: seen.cycleSeconds } } : {}),
  };
  if (!o.scrape) {
    await rt.stop();
    return result;
  }
  // the parent scrapes from its own process while the cycles go on, then says done
  const done = fromHarness('done');
  await send({ type: 'result', ...result });
  // the prober's CPU while scraped, cycles going on: a scrape's own cost and what prerendering and
  // compressing ahead of scrapes (src/exposition/render.ts) cost between them
  const served = serverSideScrapes();
  const gcs = gcPauses();
  const h2 = eld();
  const scrapeCpu0 = process.cpuUsage();
  const scrapeT0 = process.hrtime.bigint();
  const seenBefore = seen.cycles;
  await send({ type: 'scrape-ready', url: `http://127.0.0.1:${rt.address.port}/metrics` });
  await done;
  const scrapeWall = Number(process.hrtime.bigint() - scrapeT0) / 1e9;
  const scrapeCpu = cpuSeconds(process.cpuUsage(scrapeCpu0));
  served.stop();
  h2.disable();
  const gc = gcs.stop();
  await send({
    type: 'scrape-cpu', seconds: scrapeWall, cycles: seen.cycles - seenBefore, cpuCoreFraction: scrapeCpu / scrapeWall,
    cpuMsPerCycle: (scrapeCpu / Math.max(1, seen.cycles - seenBefore)) * 1000, eventLoopDelayMs: eldMs(h2), serverMs: served.ms, gc,
  });
  await rt.stop();
  return { scraped: true };
}
