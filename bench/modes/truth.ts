// Section 2, truth of the numbers: warm PutObject/GetObject through fault proxies that delay every
// response by D, each request joined to the kernel's view (the tracer) and to the proxy's record.
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Registry } from 'prom-client';
import { parseConfig } from '../../src/config/load.js';
import { startWireHalf } from '../../src/cli/wire.js';
import type { WireTracer } from '../../src/ebpf/index.js';
import { operationTiming } from '../../src/probes/timing.js';
import { createTargetClient, type TargetClient } from '../../src/s3/client.js';
import { withRequestScope } from '../../src/s3/instrument.js';
import type { RequestTrace } from '../../src/results/request-trace.js';
import { benchConfigYaml, dist, type S3Endpoint } from '../lib.js';
import { ms } from './figures.js';
import { logger } from './log.js';
import { joinProxy, proxyExchanges, type Sample } from './truth-join.js';

export interface TruthOptions { rgw: S3Endpoint; proxies: { delayMs: number; url: string }[]; samples: number }

export async function truth(o: TruthOptions): Promise<Record<string, unknown>> {
  const log = logger('truth');
  const registry = new Registry();
  const tracer: WireTracer = (await startWireHalf({ registry, logger: log, enabled: true })).tracer;
  const bucket = `bench-truth-${Date.now().toString(36)}`;
  const key = 'obj-4KiB';
  const body = Buffer.alloc(4096, 0x62);
  const clientFor = (endpoint: string): TargetClient => {
    const cfg = parseConfig(benchConfigYaml({ ...o.rgw, endpoint, targets: 1, name: 'truth', schedule: '*/10 * * * * *', ebpf: true }));
    return createTargetClient(cfg.targets[0]!);
  };
  const direct = clientFor(o.rgw.endpoint);
  await direct.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const perDelay: Record<string, unknown>[] = [];
  try {
    for (const p of o.proxies) {
      const c = clientFor(p.url);
      const samples: Sample[] = [];
      const one = async (op: 'GetObject' | 'PutObject') => {
        let wire: ReturnType<WireTracer['lastWire']>;
        const traces: RequestTrace[] = [];
        const scope = {
          target: 'truth', operation: op, traces,
          onTrace: (t: RequestTrace) => {
            tracer.observe(t);
            const w = tracer.lastWire();
            if (w?.trace === t) wire = w;
          },
        };
        // timed as the prober's own op() times it (operationTiming): first request issued -> body consumed
        const t0 = process.hrtime.bigint();
        await withRequestScope(scope, async () => {
          if (op === 'PutObject') {
            await c.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length }));
          } else {
            const r = await c.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
            await r.Body?.transformToByteArray();
          }
        });
        const t1 = process.hrtime.bigint();
        const { durationSeconds: clientS, prepareSeconds } = operationTiming(t0, t1, traces);
        const t = traces[traces.length - 1]!;
        const w = wire?.wire;
        return {
          op, clientS, prepareS: prepareSeconds, traceS: Number((t.endNs ?? t0) - t.startNs) / 1e9,
          wireS: w?.wireSeconds, serverS: w?.phases.server, overheadS: w?.overheadSeconds,
          // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.min does not take
          localPort: t.localPort, startNs: t.startNs < t0 ? t.startNs : t0, endNs: t1,
        } satisfies Sample;
      };
      for (let i = 0; i < 4; i++) await one(i % 2 ? 'GetObject' : 'PutObject'); // warm: connection open, JIT
      for (let i = 0; i < o.samples * 2; i++) samples.push(await one(i % 2 ? 'GetObject' : 'PutObject'));
      c.destroy();
      const D = p.delayMs;
      const px = await proxyExchanges(D);
      const join = joinProxy(samples, px.records);
      const ops: Record<string, unknown> = {};
      const nsMs = (a: bigint, b: bigint) => Number(b - a) / 1e6;
      for (const op of ['GetObject', 'PutObject']) {
        const s = samples.filter((x) => x.op === op);
        const def = <T>(xs: (T | undefined)[]) => xs.filter((x): x is T => x !== undefined);
        const wired = s.filter((x) => x.wireS !== undefined);
        // the proxy's own view: whole request in -> first response byte out (RGW + hold + proxy)
        const proxyServer = (x: Sample) => x.proxy?.requestInNs !== undefined && x.proxy.firstByteOutNs !== undefined
          ? nsMs(x.proxy.requestInNs, x.proxy.firstByteOutNs) : undefined;
        const proxied = s.filter((x) => proxyServer(x) !== undefined);
        const truthful = proxied.filter((x) => x.serverS !== undefined);
        ops[op] = {
          samples: s.length, wireJoined: wired.length, proxyJoined: proxied.length, truthJoined: truthful.length,
          // ground truth, measured by the proxy (its process, its clock = CLOCK_MONOTONIC)
          proxyServerMs: dist(proxied.map((x) => proxyServer(x)!)),
          // how late the proxy's setTimeout(D) fired (0 at D = 0: no hold)
          proxyHoldMinusDMs: dist(proxied.map((x) => Number(x.proxy!.holdNs) / 1e6 - D)),
          // RGW as the proxy saw it: whole request in -> upstream response head
          proxyUpstreamMs: dist(def(proxied.map((x) => (x.proxy!.upstreamNs !== undefined ? nsMs(x.proxy!.requestInNs!, x.proxy!.upstreamNs) : undefined)))),
          // head read -> whole request read: 0 when the request came in one read with its head
          proxyHeadToRequestInMs: dist(proxied.map((x) => nsMs(x.proxy!.headNs, x.proxy!.requestInNs!))),
          // the tracer's error against ground truth: kernel server phase minus what the proxy measured
          wireServerMinusProxyMs: dist(truthful.map((x) => x.serverS! * 1000 - proxyServer(x)!)),
          clientMinusDMs: dist(s.map((x) => x.clientS * 1000 - D)),
          requestMinusDMs: dist(s.map((x) => x.traceS * 1000 - D)),
          wireMinusDMs: dist(def(s.map((x) => ms(x.wireS))).map((x) => x - D)),
          serverPhaseMs: dist(def(s.map((x) => ms(x.serverS)))),
          serverMinusDMs: dist(def(s.map((x) => ms(x.serverS))).map((x) => x - D)),
          // what the prober reports (first request issued -> body read) beyond what the wire took
          clientOverWireMs: dist(wired.map((x) => (x.clientS - x.wireS!) * 1000)),
          // the SDK's work before the request (the prepare phase, not in the reported latency)
          prepareMs: dist(def(s.map((x) => ms(x.prepareS)))),
          // s3prober_client_overhead_seconds: the HTTP request's client time beyond the wire
          requestOverheadMs: dist(def(s.map((x) => ms(x.overheadS)))),
        };
      }
      perDelay.push({ delayMs: D, ops, proxyRecords: px.records.length, proxyDropped: px.dropped, ...join });
    }
  } finally {
    await direct.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    await direct.s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    direct.destroy();
    await tracer.close();
  }
  return { tracerUp: tracer.up || perDelay.some((d) => Object.values(d.ops as Record<string, { wireJoined: number }>).some((x) => x.wireJoined > 0)), perDelay };
}
