// The exporter on the current Node.js LTS lines (22 and 24; the container image uses 24), not
// only on this machine's Node 20: started as a user on that Node starts it (the CLI's first line
// finds `node` on PATH), the tracer addon built here loaded into it (Node-API is ABI-stable) and
// its uprobes attached to that build's own OpenSSL, with a plain and an HTTPS target; then the
// tracer's own test files (test/ebpf, test/unit/ebpf) run whole on that Node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_NODE_FLAGS, sample, startExporter } from '../support/exporter.js';
import { makeTestCerts, type TestCerts } from '../support/certs.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { LTS_MAJORS, ltsNode } from '../support/lts-node.js';
import { runProc } from '../support/proc.js';
import { REPO_ROOT, testRgw } from '../support/rgw.js';
import { targetYaml } from '../support/targets.js';

let certs: TestCerts;
let tlsProxy: FaultProxy;

before(async () => {
  certs = await makeTestCerts();
  tlsProxy = await startFaultProxy({ upstream: testRgw().endpoint, tls: { key: certs.server.key, cert: certs.server.cert } });
});
after(async () => {
  await tlsProxy?.close();
  await certs?.cleanup();
});

/** Wire series a target must have once its cycles were traced. */
function traced(text: string, target: string): string[] {
  const missing: string[] = [];
  for (const operation of ['PutObject', 'GetObject', 'ListObjectsV2']) {
    if (!((sample(text, 's3prober_wire_duration_seconds_count', { target, operation }) ?? 0) >= 1)) missing.push(`wire ${operation}`);
  }
  for (const phase of ['request', 'server', 'transfer']) {
    if (!((sample(text, 's3prober_wire_phase_duration_seconds_count', { target, phase }) ?? 0) >= 1)) missing.push(`phase ${phase}`);
  }
  return missing;
}

for (const major of LTS_MAJORS) {
  describe(`Node ${major}`, () => {
    test('started through the first line: right node, cycles green on HTTP and HTTPS, every wire phase traced, SIGTERM exits 0', { timeout: 900_000 }, async () => {
      const node = ltsNode(major); // the first run downloads it (~30 MB)
      const exp = await startExporter({
        schedule: '*/2 * * * * *',
        timeout: '5s',
        targets: [
          targetYaml({ name: 'plain', objectSizes: ['4KiB'], extra: { bucket: { mode: 'ephemeral', prefix: `lts${major}` } } }),
          targetYaml({
            name: 'tls', endpoint: tlsProxy.url, objectSizes: ['4KiB'],
            extra: { bucket: { mode: 'ephemeral', prefix: `lts${major}-tls` }, tls: { caFile: certs.ca.certPath } },
          }),
        ],
      }, { PATH: `${node.binDir}:${process.env.PATH}` }, { firstLine: true });
      let stopped: Awaited<ReturnType<typeof exp.stop>> | undefined;
      try {
        const pid = exp.proc.pid;
        assert.equal(realpathSync(`/proc/${pid}/exe`), realpathSync(node.bin), `not started on ${node.version}`);
        assert.deepEqual(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(1, 1 + CLI_NODE_FLAGS.length), CLI_NODE_FLAGS);
        let text = '';
        let missing: string[] = ['no scrape yet'];
        const end = Date.now() + 90_000;
        while (missing.length > 0) {
          assert.ok(Date.now() < end, `Node ${node.version}: after 90 s still missing ${missing.join(', ')}:\n${text.slice(0, 1500)}\n${exp.proc.output().slice(-3000)}`);
          await sleep(500);
          text = (await exp.metrics()).text;
          missing = [];
          for (const target of ['plain', 'tls']) {
            if (sample(text, 's3prober_cycle_success', { target }) !== 1) missing.push(`${target}: cycle success`);
            missing.push(...traced(text, target).map((m) => `${target}: ${m}`));
          }
          if (!((sample(text, 's3prober_wire_phase_duration_seconds_count', { target: 'tls', phase: 'tls' }) ?? 0) >= 1)) missing.push('tls: TLS handshake phase');
        }
        assert.equal(sample(text, 's3prober_ebpf_up'), 1);
        assert.equal(sample(text, 's3prober_ebpf_events_dropped_total') ?? 0, 0);
        // the HTTPS operations were read from the plaintext through the uprobes, so none disagrees with the SDK's
        assert.equal(sample(text, 's3prober_wire_operation_mismatches_total', { target: 'tls' }) ?? 0, 0);
        assert.match(exp.proc.output(), /eBPF wire tracer up: \S+ hooks, 9 uprobes"/, 'every OpenSSL uprobe attached');
        stopped = await exp.stop();
        assert.equal(stopped.code, 0, exp.proc.output().slice(-2000));
      } finally {
        if (!stopped) await exp.stop();
      }
    });

    test('the tracer\'s test files (test/ebpf, test/unit/ebpf) pass on it', { timeout: 900_000 }, async () => {
      const node = ltsNode(major);
      // from the sources, as scripts/test.sh does: a stale dist file of a deleted test never runs
      const files = [join('test', 'ebpf'), join('test', 'unit', 'ebpf')].flatMap((dir) => readdirSync(join(REPO_ROOT, dir))
        .filter((f) => f.endsWith('.test.ts')).map((f) => join(REPO_ROOT, 'dist', dir, f.replace(/\.ts$/, '.js'))));
      assert.ok(files.length >= 10, files.join(' '));
      // NODE_TEST_CONTEXT is how node --test tells its own children to report to it: unset, the
      // inner run is a run of its own (set, it prints nothing and exits 0)
      const env = { ...process.env };
      delete env.NODE_TEST_CONTEXT;
      const r = await runProc(node.bin, ['--test', '--test-concurrency=1', '--test-reporter=tap', ...files], { cwd: REPO_ROOT, env, timeoutMs: 600_000 });
      const summary = r.stdout.split('\n').filter((l) => /^# (tests|pass|fail|cancelled) /.test(l));
      const lines = r.stdout.split('\n');
      const failures = lines.flatMap((l, i) => (/^\s*not ok /.test(l) ? lines.slice(i, i + 20) : []));
      assert.equal(r.code, 0, `Node ${node.version}: ${summary.join(', ')}\n${failures.join('\n')}\n${r.stderr.slice(-2000)}`);
      assert.match(summary.join(' '), /# pass [1-9]\d* .*# fail 0/, summary.join(', '));
    });
  });
}
