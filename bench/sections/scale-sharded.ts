// Scale over shards (issue 20; section scale-sharded): the scale section's largest config run by N shard
// processes at once (`run --shard i/N`, through the same scale worker and recorder hooks as
// section 3), each pinned to its own core, measured over one common window after every shard's
// start-up round. Per shard and over all shards: targets, drift, CPU per cycle, RSS.
import { availableParallelism } from 'node:os';
import { shardOf } from '../../src/config/shard.js';
import type { Harness, R } from '../harness.js';
import { benchTargetNames, dist, pinTo, scaleConfigName, type Child, type S3Endpoint } from '../lib.js';

/** The shards when --shards is not given: half the cores (the servers keep the other half), at least two. */
export const defaultShards = (): number => Math.max(2, Math.floor(availableParallelism() / 2));

/** Which core each shard runs on and whom it shares it with: the cores kept for probers first, then
 *  the servers' cores in turn (on 2 cores: shard 1 with RGW), never hidden from the table. */
function shardPlacement(h: Harness, shards: number, rgwOwn: boolean): { core?: number; sharesWith: string[] }[] {
  const { proberCores, serverCores, pinned } = h.layout;
  if (!pinned) return Array.from({ length: shards }, () => ({ sharesWith: [] }));
  const all = [...proberCores, ...serverCores];
  const cores = Array.from({ length: shards }, (_, i) => all[i % all.length]!);
  return cores.map((core, i) => ({
    core,
    sharesWith: [
      // an RGW at --endpoint runs wherever whoever started it put it
      ...(serverCores.includes(core) ? [rgwOwn ? 'RGW and the bench servers' : 'the bench servers'] : []),
      ...cores.flatMap((c, j) => (c === core && j !== i ? [`shard ${j}`] : [])),
    ],
  }));
}

/** What the section reads of a shard's scale result (bench/modes/scale.ts), the rest passed on. */
interface ShardResult extends R {
  type: 'result'; shard: { index: number; count: number }; targetsProbed: number; probedNames: string[];
  cycles: number; cyclesSkipped: number; ops: number; failures: number;
  cpuSeconds: number; cpuCoreFraction: number; rssMb: number; peakRssMb: number; eventLoopDelayMs: { p99: number };
  samples: { driftMs: number[]; cycleSeconds: number[] };
}

export async function sectionScaleSharded(h: Harness, rgw: S3Endpoint, shards: number, rgwOwn: boolean): Promise<R> {
  // the scale section's largest row (quick: enough targets that every shard likely gets some)
  const targets = h.quick ? 3 * shards : 300;
  const interval = h.quick ? 1 : 10;
  const slots = 2;
  const place = shardPlacement(h, shards, rgwOwn);
  const names = benchTargetNames(scaleConfigName(targets), targets);
  const expected = Array.from({ length: shards }, (_, i) => names.filter((n) => shardOf(n, shards) === i).length);
  h.log(`scale-sharded: ${targets} targets over ${shards} shards (${expected.join(' + ')}), ${interval} s interval, ${slots} intervals measured`);
  for (const [i, p] of place.entries()) if (p.sharesWith.length) h.log(`scale-sharded: shard ${i} shares core ${p.core} with ${p.sharesWith.join(', ')}: its figures are pessimistic`);
  const ws: Child[] = place.map((p, index) =>
    h.worker('scale', { rgw, targets, intervalSeconds: interval, slots, ebpf: h.ebpf, scrape: false, shard: { index, count: shards } }, [], p.core === undefined ? [] : pinTo(p.core)));
  try {
    const results = ws.map((w) => w.next<R>('result'));
    // a shard that fails makes the others' waits moot: its error is the section's
    await Promise.race([Promise.all(ws.map((w) => w.next('warm'))), ...results]);
    for (const w of ws) w.send({ type: 'measure' });
    const rows = (await Promise.all(results)).map((r, i) => ({ ...(r as ShardResult), core: place[i]!.core, sharesWith: place[i]!.sharesWith, expectedTargets: expected[i]! }));
    const probed = rows.flatMap((r) => r.probedNames);
    const sum = (k: (r: ShardResult) => number) => rows.reduce((a, r) => a + k(r), 0);
    const cpu = sum((r) => r.cpuSeconds);
    const cycles = sum((r) => r.cycles);
    const all = {
      targets, targetsProbed: probed.length,
      // every configured target probed by exactly one shard
      disjointAndComplete: new Set(probed).size === probed.length && names.every((n) => probed.includes(n)),
      cycles, cyclesSkipped: sum((r) => r.cyclesSkipped), ops: sum((r) => r.ops), failures: sum((r) => r.failures),
      cpuSeconds: cpu, cpuCoreFraction: sum((r) => r.cpuCoreFraction), cpuMsPerCycle: (cpu / Math.max(1, cycles)) * 1000,
      rssMb: sum((r) => r.rssMb), peakRssMb: sum((r) => r.peakRssMb),
      eventLoopDelayMs: { p99: Math.max(...rows.map((r) => r.eventLoopDelayMs.p99)) },
      driftMs: dist(rows.flatMap((r) => r.samples.driftMs)),
      cycleSeconds: dist(rows.flatMap((r) => r.samples.cycleSeconds)),
    };
    const shared = place.flatMap((p, i) => (p.sharesWith.length ? [{ shard: i, core: p.core, with: p.sharesWith }] : []));
    return {
      intervalSeconds: interval, shards, pinned: h.layout.pinned, serverCores: h.layout.serverCores, rgwPlacedByBench: rgwOwn, shared,
      // the rows without their raw samples and names
      rows: rows.map(({ samples: _s, probedNames: _p, type: _t, ...r }) => r), all,
    };
  } finally {
    await Promise.all(ws.map((w) => w.stop(10_000)));
  }
}
