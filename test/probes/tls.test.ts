// HTTPS targets: a TLS-terminating proxy in front of RGW. Custom CA, skip-verify, untrusted and
// expired certificates, and the certificate expiry the prober reports.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { runCycle } from '../../src/probes/cycle.js';
import { LeftoverStore } from '../../src/probes/leftovers.js';
import { createTargetClient } from '../../src/s3/client.js';
import type { RequestTrace } from '../../src/results/request-trace.js';
import { makeTestCerts, type TestCerts } from '../support/certs.js';
import { testCycle } from '../support/cycle.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { testRgw } from '../support/rgw.js';
import { testTarget } from '../support/targets.js';

const logger = pino({ level: 'silent' });

describe('TLS targets', () => {
  let certs: TestCerts;
  const proxies: FaultProxy[] = [];
  const httpsProxy = async (pair: 'server' | 'untrusted' | 'expired') => {
    const p = await startFaultProxy({ upstream: testRgw().endpoint, tls: { key: certs[pair].key, cert: certs[pair].cert } });
    proxies.push(p);
    return p;
  };

  before(async () => {
    certs = await makeTestCerts();
  });
  after(async () => {
    for (const p of proxies) await p.close();
    await certs?.cleanup();
  });

  const cycle = (endpoint: string, tls: Record<string, unknown>) => testCycle({ endpoint, objectSizes: ['4KiB'], extra: { tls } });

  test('trusted via caFile: green, TLS phase measured on new connections, expiry reported', async () => {
    const p = await httpsProxy('server');
    const { r, traces, certsSeen } = await cycle(p.url, { caFile: certs.ca.certPath });
    assert.equal(r.success, true, JSON.stringify(r.operations.filter((o) => o.outcome !== 'success')));
    const fresh = traces.filter((t) => !t.reused);
    assert.ok(fresh.length >= 1);
    for (const t of fresh) assert.ok(t.phases.tls! > 0 && t.phases.connect! > 0);
    for (const t of traces.filter((x) => x.reused)) assert.equal(t.phases.tls, undefined);
    assert.ok(certsSeen.length >= 1);
    assert.ok(certsSeen[0]!.getTime() > Date.now(), 'a valid certificate expires in the future');
  });

  test('every cycle starts with a full handshake: certificate seen and TLS timed each cycle', async () => {
    const p = await httpsProxy('server');
    const target = testTarget({ endpoint: p.url, objectSizes: ['4KiB'], extra: { tls: { caFile: certs.ca.certPath } } });
    const client = createTargetClient(target);
    try {
      for (let i = 0; i < 3; i++) {
        const traces: RequestTrace[] = [];
        const seen: Date[] = [];
        const r = await runCycle({
          target: { ...target, timeout: 5000 }, client, leftovers: new LeftoverStore(), logger,
          observer: { onTrace: (t) => traces.push(t), onCertificate: (_t, d) => seen.push(d) },
        });
        assert.equal(r.success, true);
        assert.equal(traces[0]!.reused, false, `cycle ${i}: the first request opens a new connection`);
        assert.ok(traces[0]!.phases.tls! > 0, `cycle ${i}: TLS handshake timed`);
        assert.ok(seen.length >= 1, `cycle ${i}: certificate seen (no session resumption)`);
      }
    } finally {
      client.destroy();
    }
  });

  test('untrusted certificate: reason tls on the first call, nothing else attempted blindly', async () => {
    const p = await httpsProxy('untrusted');
    const { r } = await cycle(p.url, { caFile: certs.ca.certPath });
    const f = r.operations.filter((o) => o.outcome === 'failure');
    assert.ok(f.length >= 1);
    for (const o of f) assert.equal(o.reason, 'tls', `${o.operation}: ${o.errorCode} ${o.message}`);
    assert.equal(f[0]!.operation, 'CreateBucket');
    assert.equal(r.leftovers, 0);
  });

  test('expired certificate: reason tls', async () => {
    const p = await httpsProxy('expired');
    const { r } = await cycle(p.url, { caFile: certs.ca.certPath });
    const f = r.operations.filter((o) => o.outcome === 'failure');
    assert.ok(f.length >= 1);
    assert.equal(f[0]!.reason, 'tls');
    assert.equal(f[0]!.errorCode, 'CERT_HAS_EXPIRED');
  });

  test('insecureSkipVerify accepts an untrusted certificate', async () => {
    const p = await httpsProxy('untrusted');
    const { r } = await cycle(p.url, { insecureSkipVerify: true });
    assert.equal(r.success, true);
  });
});
