// The container image, built for real with podman from docker/Dockerfile and run against the
// test RGW. No registry is reachable in CI, so the base image (BASE_IMAGE build argument) is a
// local Debian bookworm made with debootstrap plus the official Node 24 build (from the npm
// registry, test/support/lts-node.ts); the public default (node:24-bookworm-slim) is the same
// distribution and Node line. Slow (image build): kept to this one file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_LISTEN, DEFAULT_PORT } from '../../src/config/listen.js';
import { ltsNode } from '../support/lts-node.js';
import { freePort, testRgw } from '../support/rgw.js';
import { repoPath, run, runOk, waitFor } from '../support/deploy/lib.js';

const work = repoPath('.work', 'containers');
const IMAGE_NODE = 24; // the LTS line of the Dockerfile's default BASE_IMAGE
const BASE = `localhost/s3prober-base:bookworm-node${IMAGE_NODE}`;
const IMAGE = 'localhost/s3prober:ci';
const IMAGE_NO_BTF = 'localhost/s3prober:ci-nobtf';
const env = {
  ...process.env,
  CONTAINERS_CONF: join(work, 'containers.conf'),
  CONTAINERS_STORAGE_CONF: join(work, 'storage.conf'),
};
const started: string[] = [];

const podman = (args: string[], timeout = 600_000) => runOk('podman', args, { env, timeout });
const podmanRaw = (args: string[], timeout = 120_000) => run('podman', args, { env, timeout });

/** podman settings for this host (see ../shared/notes/deploy.md): ulimits without
 *  CAP_SYS_RESOURCE, runc, and a seccomp profile that lets CAP_BPF/CAP_PERFMON holders call
 *  bpf/perf_event_open (the packaged default only allows it with CAP_SYS_ADMIN). */
function writePodmanConfig(): void {
  mkdirSync(work, { recursive: true });
  const profile = JSON.parse(readFileSync('/usr/share/containers/seccomp.json', 'utf8')) as {
    syscalls: { names: string[]; action: string; includes?: unknown }[];
  };
  for (const rule of profile.syscalls) {
    if (rule.action !== 'SCMP_ACT_ALLOW') rule.names = rule.names.filter((n) => n !== 'bpf' && n !== 'perf_event_open');
  }
  profile.syscalls = profile.syscalls.filter((r) => r.names.length > 0);
  profile.syscalls.push(
    { names: ['bpf'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_BPF'] } },
    { names: ['perf_event_open'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_PERFMON'] } },
  );
  writeFileSync(join(work, 'seccomp.json'), JSON.stringify(profile));
  writeFileSync(join(work, 'containers.conf'), [
    '[containers]',
    `seccomp_profile = "${join(work, 'seccomp.json')}"`,
    'default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]',
    '[engine]',
    'runtime = "runc"',
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    '',
  ].join('\n'));
  writeFileSync(join(work, 'storage.conf'), `[storage]\ndriver = "overlay"\ngraphroot = "${join(work, 'storage')}"\nrunroot = "${join(work, 'run')}"\n`);
}

/** A Debian bookworm base with Node 24 and its headers, this machine's npm (plain JavaScript),
 *  and the host's CA certificates (egress here may go through a TLS-inspecting proxy whose CA
 *  only the host trusts). Cached. */
function ensureBaseImage(): void {
  if (podmanRaw(['image', 'exists', BASE]).code === 0) return;
  const rootfs = join(work, 'rootfs');
  if (!existsSync(join(rootfs, 'etc', 'debian_version'))) {
    rmSync(rootfs, { recursive: true, force: true });
    runOk('debootstrap', ['--variant=minbase', '--include=ca-certificates', 'bookworm', rootfs, 'http://deb.debian.org/debian'], { timeout: 600_000 });
  }
  const node = ltsNode(IMAGE_NODE);
  copyFileSync(node.bin, join(rootfs, 'usr', 'bin', 'node'));
  // npm: this machine's, next to its node (/usr or /usr/local)
  const hostPrefix = dirname(dirname(runOk('readlink', ['-f', process.execPath]).stdout.trim()));
  // The target folder must exist, or cp makes npm's own folder into node_modules itself.
  mkdirSync(join(rootfs, 'usr', 'lib', 'node_modules'), { recursive: true });
  runOk('cp', ['-a', join(hostPrefix, 'lib', 'node_modules', 'npm'), `${join(rootfs, 'usr', 'lib', 'node_modules')}/`], { timeout: 120_000 });
  runOk('ln', ['-sf', '../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr', 'bin', 'npm')]);
  runOk('ln', ['-sf', '../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr', 'bin', 'npx')]);
  // node_api.h for the tracer addon's build
  mkdirSync(join(rootfs, 'usr', 'include'), { recursive: true });
  runOk('cp', ['-a', join(node.prefix, 'include', 'node'), `${join(rootfs, 'usr', 'include')}/`]);
  const localCas = '/usr/local/share/ca-certificates';
  if (existsSync(localCas)) {
    for (const f of readdirSync(localCas)) copyFileSync(join(localCas, f), join(rootfs, 'usr', 'local', 'share', 'ca-certificates', f));
  }
  runOk('chroot', [rootfs, 'update-ca-certificates']);
  runOk('sh', ['-c', `rm -rf ${rootfs}/var/cache/apt/archives/*.deb ${rootfs}/var/lib/apt/lists/* ${rootfs}/usr/share/doc/* ${rootfs}/usr/share/man/*`]);
  runOk('sh', ['-c', `tar -C '${rootfs}' -c . | podman import --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - ${BASE}`], { env, timeout: 300_000 });
}

function build(tag: string, extra: string[] = []): void {
  // --format docker: OCI images have no HEALTHCHECK.
  podman(['build', '--format', 'docker', '-f', 'docker/Dockerfile', '--build-arg', `BASE_IMAGE=${BASE}`, ...extra, '-t', tag, '.'], 1_200_000);
}

let configFile: string;

before(() => {
  writePodmanConfig();
  ensureBaseImage();
  build(IMAGE);
  // No readable BTF for the builder: the image must still build, with the tracer left out.
  build(IMAGE_NO_BTF, ['--build-arg', 'VMLINUX_BTF=/nonexistent/btf/vmlinux']);
  const rgw = testRgw();
  configFile = join(work, 'config.yaml');
  writeFileSync(configFile, [
    'schedule: "*/2 * * * * *"',
    'jitter: 0',
    'targets:',
    '  - name: rgw',
    `    endpoint: ${rgw.endpoint}`,
    '    credentials:',
    `      accessKeyId: ${rgw.accessKeyId}`,
    '      secretAccessKey: ${S3_SECRET_KEY}',
    '    bucket: {mode: ephemeral, prefix: container-ci}',
    '    objectSizes: [4KiB]',
    '    batchSize: 2',
    '',
  ].join('\n'), { mode: 0o644 });
}, { timeout: 1_800_000 }); // a first build from scratch (debootstrap, apt, npm ci) takes minutes

after(() => {
  for (const name of started) podmanRaw(['rm', '-f', '-t', '2', name]);
  // Superseded builds would pile up in .work/containers (over 1 GB each with the builder stage).
  podmanRaw(['image', 'prune', '-f']);
});

function runContainer(name: string, image: string, opts: { caps: boolean; port: number }): Promise<string> {
  podmanRaw(['rm', '-f', name]);
  started.push(name);
  podman([
    'run', '-d', '--name', name, '--network', 'host',
    ...(opts.caps ? ['--cap-add', 'BPF', '--cap-add', 'PERFMON'] : []),
    '-e', `S3_SECRET_KEY=${testRgw().secretAccessKey}`,
    '-e', `S3PROBER_HEALTH_URL=http://127.0.0.1:${opts.port}/-/healthy`,
    '-v', `${configFile}:/etc/s3prober/config.yaml:ro`,
    image, 'run', '--listen', `127.0.0.1:${opts.port}`,
  ]);
  return waitFor(`${name}: a finished cycle in /metrics`, async () => {
    const text = await (await fetch(`http://127.0.0.1:${opts.port}/metrics`)).text();
    return /^s3prober_cycle_success\{target="rgw"\} 1$/m.test(text) ? text : undefined;
  }, 60_000, 500).catch((e: Error) => {
    throw new Error(`${e.message}\n${podmanRaw(['logs', name]).stderr.slice(-3000)}`);
  });
}

test('image: non-root uid 10001, HEALTHCHECK on /-/healthy, the default port, no build toolchain', () => {
  const [image] = JSON.parse(podman(['image', 'inspect', IMAGE]).stdout) as {
    Config: { User: string; ExposedPorts: Record<string, unknown>; Cmd: string[] };
    Healthcheck: { Test: string[] };
  }[];
  const cfg = { ...image!.Config, Healthcheck: image!.Healthcheck };
  assert.equal(cfg.User, '10001:10001');
  assert.deepEqual(Object.keys(cfg.ExposedPorts), [`${DEFAULT_PORT}/tcp`]);
  assert.match(cfg.Healthcheck.Test.join(' '), /S3PROBER_HEALTH_URL/);
  assert.deepEqual(cfg.Cmd, ['run', '--listen', DEFAULT_LISTEN]);
  const env = podman(['run', '--rm', '--entrypoint', 'sh', IMAGE, '-c', 'echo $S3PROBER_HEALTH_URL; id -u; command -v clang gcc make || true']).stdout;
  assert.equal(env.trim(), `http://127.0.0.1:${DEFAULT_PORT}/-/healthy\n10001`);
  const version = podman(['run', '--rm', '--entrypoint', 'node', IMAGE, '--version']).stdout.trim();
  assert.match(version, new RegExp(`^v${IMAGE_NODE}\\.`), 'the Node line of the default BASE_IMAGE');
  // The tracer addon is in the image built with BTF, absent from the one built without.
  assert.equal(podmanRaw(['run', '--rm', '--entrypoint', 'ls', IMAGE, '/app/native/build/Release/s3prober.node']).code, 0);
  assert.notEqual(podmanRaw(['run', '--rm', '--entrypoint', 'ls', IMAGE_NO_BTF, '/app/native/build/Release/s3prober.node']).code, 0);
});

test('with CAP_BPF and CAP_PERFMON: probes RGW, /metrics answers inside the container, tracer up, healthy, SIGTERM is prompt', async () => {
  const port = await freePort();
  const text = await runContainer('s3prober-ci-caps', IMAGE, { caps: true, port });
  assert.match(text, /^s3prober_ebpf_up 1$/m);
  await waitFor('wire metrics', async () => {
    const t = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return /^s3prober_wire_duration_seconds_count\{[^}]*operation="PutObject"[^}]*\} [1-9]/m.test(t) ? true : undefined;
  }, 30_000, 500);
  const inside = podman(['exec', 's3prober-ci-caps', 'node', '-e',
    `fetch('http://127.0.0.1:${port}/metrics').then(r => r.text()).then(t => console.log(t.includes('s3prober_operations_total') ? 'metrics-ok' : 'metrics-missing'))`]).stdout;
  assert.equal(inside.trim(), 'metrics-ok');
  const status = podman(['exec', 's3prober-ci-caps', 'cat', '/proc/1/status']).stdout;
  assert.match(status, /^Uid:\s+10001\s+10001\s+10001\s+10001$/m);
  // Only CAP_BPF (39) and CAP_PERFMON (38) are effective for the non-root process.
  assert.match(status, /^CapEff:\s+000000c000000000$/m);
  assert.equal(podmanRaw(['healthcheck', 'run', 's3prober-ci-caps']).code, 0, 'HEALTHCHECK reports healthy');
  const t0 = Date.now();
  podman(['stop', '-t', '20', 's3prober-ci-caps']);
  const stopMs = Date.now() - t0;
  assert.ok(stopMs < 5000, `stop took ${stopMs} ms: SIGTERM not handled promptly`);
  assert.equal(podman(['inspect', 's3prober-ci-caps', '--format', '{{.State.ExitCode}}']).stdout.trim(), '0');
});

test('without the capabilities the exporter still probes, with s3prober_ebpf_up 0', async () => {
  const port = await freePort();
  const text = await runContainer('s3prober-ci-nocaps', IMAGE, { caps: false, port });
  assert.match(text, /^s3prober_ebpf_up 0$/m);
  assert.equal(podmanRaw(['healthcheck', 'run', 's3prober-ci-nocaps']).code, 0);
});

test('the image built without BTF runs with the tracer off even when given the capabilities', async () => {
  const port = await freePort();
  const text = await runContainer('s3prober-ci-nobtf', IMAGE_NO_BTF, { caps: true, port });
  assert.match(text, /^s3prober_ebpf_up 0$/m);
});

test('default command listens on the default address: reachable through a published port', async () => {
  const port = await freePort();
  const name = 's3prober-ci-published';
  podmanRaw(['rm', '-f', name]);
  started.push(name);
  // The target is unreachable from the bridge network; only the HTTP side matters here.
  podman(['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:${DEFAULT_PORT}`, '-e', 'S3_SECRET_KEY=x',
    '-v', `${configFile}:/etc/s3prober/config.yaml:ro`, IMAGE]);
  const body = await waitFor('/-/healthy through the published port', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/-/healthy`);
    return r.ok ? r.text() : undefined;
  }, 30_000, 250);
  assert.ok(body.length > 0);
  assert.equal(podmanRaw(['healthcheck', 'run', name]).code, 0, 'HEALTHCHECK with the default URL');
});
