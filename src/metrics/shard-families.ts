// A sharded process's view of coverage (run --shard only): its shard, every configured target and
// those it probes. Each shard exports the whole configured list, so a rule over all shards finds a
// target that no shard probes (while any shard is up) or that two do.
import { Gauge, type Registry } from 'prom-client';
import type { Shard } from '../config/shard.js';
import { SHARD_METRICS as N } from './names.js';

export function recordShard(registry: Registry, shard: Shard, configured: readonly string[], probed: readonly string[]): void {
  const registers = [registry];
  new Gauge({
    name: N.shardInfo,
    help: 'The shard this process is (run --shard INDEX/COUNT): shard="INDEX", shards="COUNT" (value 1).',
    labelNames: ['shard', 'shards'], registers,
  }).set({ shard: String(shard.index), shards: String(shard.count) }, 1);
  const configuredFamily = new Gauge({
    name: N.targetConfigured,
    help: 'Every target of the config shared by the shards, whichever shard probes it (value 1).',
    labelNames: ['target'], registers,
  });
  for (const target of configured) configuredFamily.set({ target }, 1);
  const probedFamily = new Gauge({
    name: N.targetProbed,
    help: "The targets this shard probes: those whose name's hashmod (Prometheus' relabel hashmod) is its index (value 1).",
    labelNames: ['target'], registers,
  });
  for (const target of probed) probedFamily.set({ target }, 1);
}
