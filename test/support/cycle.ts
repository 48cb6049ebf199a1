// One canary cycle of a test target with its own client, destroyed afterwards: what it returned,
// the request traces and the certificate expiries it reported.
import { pino } from 'pino';
import type { TargetConfig } from '../../src/config/schema.js';
import { runCycle } from '../../src/probes/cycle.js';
import { LeftoverStore } from '../../src/probes/leftovers.js';
import type { CycleResult } from '../../src/results/cycle.js';
import { createTargetClient } from '../../src/s3/client.js';
import type { RequestTrace } from '../../src/results/request-trace.js';
import { testTarget, type TargetSpec } from './targets.js';

const logger = pino({ level: 'silent' });

export interface TestCycle {
  r: CycleResult;
  target: TargetConfig;
  traces: RequestTrace[];
  certsSeen: Date[];
}

export async function testCycle(spec: TargetSpec, timeoutMs = 5000, leftovers = new LeftoverStore()): Promise<TestCycle> {
  const target = { ...testTarget(spec), timeout: timeoutMs };
  const client = createTargetClient(target);
  const traces: RequestTrace[] = [];
  const certsSeen: Date[] = [];
  try {
    const r = await runCycle({
      target, client, leftovers, logger,
      observer: { onTrace: (t) => traces.push(t), onCertificate: (_t, d) => certsSeen.push(d) },
    });
    return { r, target, traces, certsSeen };
  } finally {
    client.destroy();
  }
}
