// Run as a separate (unprivileged) process by degrade.test.ts. Mode "exporter": starts the wire
// tracer as the exporter would, makes a traced request, prints what it saw. Mode "raw-open":
// calls the addon's open() directly, past the privilege pre-check, to see the kernel refuse.
// S3PROBER_TEST_HOOKS forces a hook set.
import http from 'node:http';
import { WIRE_METRICS } from '../../../src/metrics/names.js';
import { loadModule, userSpaceTargets, type HookSet } from '../../../src/ebpf/native.js';
import { request, startServer } from './servers.js';
import { metricValue, startTestTracer, traced } from './tracer.js';

async function exporterMode(): Promise<unknown> {
  const hooks = process.env.S3PROBER_TEST_HOOKS as HookSet | undefined;
  const t = await startTestTracer(hooks ? { hooks } : {});
  const server = await startServer();
  const agent = new http.Agent({ keepAlive: false });
  const r = await traced(t.tracer, 'child', 'GetObject', () => request({ port: server.port, method: 'GET', path: '/bucket/key', agent, delayMs: 20 }));
  await server.close();
  const out = {
    up: t.tracer.up,
    status: t.tracer.status(),
    logs: t.logs,
    ebpfUp: await metricValue(t.registry, WIRE_METRICS.ebpfUp),
    statusCode: r.trace.statusCode,
    wire: r.wire,
  };
  await t.tracer.close();
  return out;
}

function rawOpen(): unknown {
  const m = loadModule();
  if (!m.ok) return { loaded: false, reason: m.reason };
  try {
    m.mod.open(userSpaceTargets()).close();
    return { loaded: true, opened: true };
  } catch (e) {
    const err = e as Error & { code?: string; stage?: string };
    return { loaded: true, opened: false, code: err.code, stage: err.stage, message: err.message };
  }
}

const mode = process.argv[2];
const result = mode === 'raw-open' ? rawOpen() : await exporterMode();
// the wire's kernel timestamps are bigints: as decimal strings
process.stdout.write(`${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
