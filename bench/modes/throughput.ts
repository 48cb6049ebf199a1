// Section 5, tracer throughput: closed loops of concurrent requests against the echo server with the
// tracer on (the SDK's Get/Put, and bare node:http GETs: the tracer's ceiling without the SDK's CPU).
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Registry } from 'prom-client';
import { parseConfig } from '../../src/config/load.js';
import { startWireHalf } from '../../src/cli/wire.js';
import { WIRE_METRICS } from '../../src/metrics/names.js';
import { createTargetClient } from '../../src/s3/client.js';
import { withRequestScope } from '../../src/s3/instrument.js';
import type { RequestTrace } from '../../src/results/request-trace.js';
import { benchConfigYaml } from '../lib.js';
import { cpuSeconds, eld, eldMs } from './figures.js';
import { logger } from './log.js';

export interface ThroughputOptions { echoUrl: string; concurrency: number[]; seconds: number }

export async function throughput(o: ThroughputOptions): Promise<Record<string, unknown>> {
  const registry = new Registry();
  const tracer = (await startWireHalf({ registry, logger: logger('throughput'), enabled: true })).tracer;
  const counter = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;
  const cfg = parseConfig(benchConfigYaml({ endpoint: o.echoUrl, accessKeyId: 'bench', secretAccessKey: 'bench', targets: 1, name: 'tp', schedule: '*/10 * * * * *', ebpf: true }));
  const body = Buffer.alloc(4096, 0x63);
  const onTrace = (t: RequestTrace) => tracer.observe(t);
  const steps: Record<string, unknown>[] = [];
  for (const kind of ['sdk', 'http'] as const) {
    for (const c of o.concurrency) {
      const client = createTargetClient(cfg.targets[0]!);
      const agent = new http.Agent({ keepAlive: true, maxSockets: c });
      let i = 0;
      const op = async (): Promise<void> => {
        const operation = i++ % 2 ? 'GetObject' : 'PutObject';
        const traces: RequestTrace[] = [];
        await withRequestScope({ target: 'tp', operation, traces, onTrace }, async () => {
          if (kind === 'http') {
            // bare node:http: the tracer's ceiling without the SDK's own CPU cost per request
            await new Promise<void>((res, rej) => {
              const q = http.request(`${o.echoUrl}/b/k`, { agent, method: 'GET' }, (r) => { r.resume(); r.on('end', res); r.on('error', rej); });
              q.on('error', rej);
              q.end();
            });
          } else if (operation === 'PutObject') {
            await client.s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: body, ContentLength: body.length }));
          } else {
            const r = await client.s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
            await r.Body?.transformToByteArray();
          }
        });
      };
      for (let w = 0; w < c; w++) await op(); // open the connections
      const ev0 = await counter(WIRE_METRICS.ebpfEvents);
      const dr0 = await counter(WIRE_METRICS.ebpfDropped);
      const un0 = (await registry.getSingleMetric(WIRE_METRICS.unmatched)?.get())?.values.reduce((a, v) => a + v.value, 0) ?? 0;
      const h = eld();
      let ops = 0;
      const t0 = process.hrtime.bigint();
      const end = Date.now() + o.seconds * 1000;
      const cpu0 = process.cpuUsage();
      await Promise.all(Array.from({ length: c }, async () => {
        while (Date.now() < end) {
          await op();
          ops++;
        }
      }));
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = cpuSeconds(process.cpuUsage(cpu0));
      await sleep(50);
      const un1 = (await registry.getSingleMetric(WIRE_METRICS.unmatched)?.get())?.values.reduce((a, v) => a + v.value, 0) ?? 0;
      steps.push({
        client: kind, concurrency: c, opsPerSecond: ops / wall, ops, cpuCoreFraction: cpu / wall,
        events: (await counter(WIRE_METRICS.ebpfEvents)) - ev0, dropped: (await counter(WIRE_METRICS.ebpfDropped)) - dr0,
        unmatched: un1 - un0, eventLoopDelayMs: eldMs(h),
      });
      h.disable();
      client.destroy();
      agent.destroy();
    }
  }
  const up = tracer.up;
  await tracer.close();
  return { tracerUp: up, steps };
}
