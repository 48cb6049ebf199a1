// docker/compose.yaml: validated offline by docker-compose, and wired consistently with the files
// it mounts (Prometheus/Alertmanager/Grafana configs, the s3prober config and Dockerfile).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_PORT } from '../../../src/config/listen.js';
import { repoPath, run, runOk } from '../../support/deploy/lib.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: { target: number; published: number }[];
  cap_add?: string[];
}

const composeFile = repoPath('docker', 'compose.yaml');
// Without a .env file, so the defaults in compose.yaml are what is checked.
const composeEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(S3_|S3PROBER_BASE|GRAFANA_|PROMETHEUS_IMAGE|ALERTMANAGER_IMAGE|TEMPO_IMAGE|OTEL_)/.test(k)));

function resolved(): { services: Record<string, Service> } {
  const r = runOk('docker-compose', ['-f', composeFile, 'config'], { env: composeEnv });
  return parse(r.stdout) as { services: Record<string, Service> };
}

/** host path -> container path of a service's bind mounts (docker-compose made them absolute). */
function binds(s: Service): Map<string, string> {
  return new Map((s.volumes ?? []).filter((v) => v.startsWith('/')).map((v) => [v.split(':')[1]!, v.split(':')[0]!]));
}

test('docker-compose config -q validates the stack', () => {
  runOk('docker-compose', ['-f', composeFile, 'config', '-q'], { env: composeEnv });
  // The validator is strict enough to fail on a wrong type (guards against a check that cannot fail).
  const tmp = mkdtempSync(join(tmpdir(), 's3prober-compose-'));
  try {
    writeFileSync(join(tmp, 'compose.yaml'), readFileSync(composeFile, 'utf8').replace(`- "${DEFAULT_PORT}:${DEFAULT_PORT}"`, String(DEFAULT_PORT)));
    assert.notEqual(run('docker-compose', ['-f', join(tmp, 'compose.yaml'), 'config', '-q'], { env: composeEnv }).code, 0);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('the stack has s3prober, a local S3 server, Prometheus, Alertmanager, Tempo and Grafana', () => {
  const { services } = resolved();
  assert.deepEqual(Object.keys(services).sort(), ['alertmanager', 'grafana', 'prometheus', 's3', 's3prober', 'tempo']);
  for (const [name, s] of Object.entries(services)) {
    for (const [, host] of binds(s)) assert.ok(existsSync(host), `${name}: bind mount source ${host} does not exist`);
  }
  const p = services.s3prober!;
  assert.ok(existsSync(join(p.build!.context, p.build!.dockerfile)), 'the Dockerfile it builds');
  assert.deepEqual(p.cap_add?.sort(), ['BPF', 'PERFMON']);
  assert.ok(p.ports?.some((x) => x.target === DEFAULT_PORT), 'the port s3prober listens on by default');
});

test('Prometheus in the stack loads the project rules and scrapes s3prober, alerting Alertmanager', () => {
  const { services } = resolved();
  const prom = services.prometheus!;
  const cfgArg = prom.command!.find((c) => c.startsWith('--config.file='))!.slice('--config.file='.length);
  const mountDir = [...binds(prom)].find(([inside]) => cfgArg.startsWith(`${inside}/`));
  assert.ok(mountDir, `${cfgArg} is inside a bind mount`);
  const hostCfg = join(mountDir[1], cfgArg.slice(mountDir[0].length));
  assert.equal(hostCfg, repoPath('deploy', 'prometheus', 'prometheus.yml'));
  runOk('promtool', ['check', 'config', hostCfg]);
  const cfg = parse(readFileSync(hostCfg, 'utf8')) as {
    rule_files: string[];
    alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  assert.deepEqual(cfg.rule_files.sort(), ['s3prober.alerts.yml', 's3prober.rules.yml', 's3prober.shards.alerts.yml']);
  const job = cfg.scrape_configs.find((j) => j.job_name === 's3prober');
  assert.ok(job, 'the alerts expect job="s3prober"');
  const [host, port] = job.static_configs[0]!.targets[0]!.split(':');
  assert.ok(services[host!], `scrape target ${host} is a compose service`);
  assert.ok(services[host!]!.ports?.some((x) => x.target === Number(port)));
  const [amHost, amPort] = cfg.alerting.alertmanagers[0]!.static_configs[0]!.targets[0]!.split(':');
  assert.ok(services[amHost!]?.ports?.some((x) => x.target === Number(amPort)));
  const am = services.alertmanager!;
  const amCfg = am.command!.find((c) => c.startsWith('--config.file='))!.slice('--config.file='.length);
  assert.equal(binds(am).get(amCfg), repoPath('deploy', 'alertmanager', 'alertmanager.yml'));
});

test('Grafana gets the provisioning and dashboards, and its datasource points at the Prometheus service', () => {
  const { services } = resolved();
  const g = binds(services.grafana!);
  assert.equal(g.get('/etc/grafana/provisioning'), repoPath('deploy', 'grafana', 'provisioning'));
  const home = services.grafana!.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
  const dashMount = [...g].find(([inside]) => home.startsWith(`${inside}/`))!;
  assert.ok(existsSync(join(dashMount[1], home.slice(dashMount[0].length))), `home dashboard ${home}`);
  const ds = parse(readFileSync(repoPath('deploy', 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as {
    datasources: { type: string; url: string }[];
  };
  for (const d of ds.datasources) {
    const u = new URL(d.url);
    assert.ok(services[u.hostname]?.ports?.some((x) => x.target === Number(u.port)), `${d.type} datasource ${d.url}`);
  }
});

test('s3prober sends its traces to Tempo\'s OTLP/HTTP receiver; Prometheus stores exemplars', () => {
  const { services } = resolved();
  const endpoint = new URL(services.s3prober!.environment!.OTEL_EXPORTER_OTLP_ENDPOINT!);
  const tempo = services.tempo!;
  assert.equal(endpoint.hostname, 'tempo');
  const cfgArg = tempo.command!.find((c) => c.startsWith('-config.file='))!.slice('-config.file='.length);
  const host = binds(tempo).get(cfgArg);
  assert.equal(host, repoPath('deploy', 'tempo', 'tempo.yaml'));
  const cfg = parse(readFileSync(host!, 'utf8')) as {
    server: { http_listen_port: number };
    distributor: { receivers: { otlp: { protocols: { http: { endpoint: string } } } } };
  };
  assert.equal(cfg.distributor.receivers.otlp.protocols.http.endpoint.split(':').pop(), endpoint.port, 'the OTLP/HTTP port s3prober sends to');
  assert.ok(tempo.ports?.some((x) => x.target === cfg.server.http_listen_port), 'the port Grafana queries');
  assert.ok(services.prometheus!.command!.includes('--enable-feature=exemplar-storage'));
});

test('the s3prober config of the stack is valid with the credentials compose passes in', () => {
  const { services } = resolved();
  const p = services.s3prober!;
  const inside = p.environment!.S3PROBER_CONFIG!;
  const host = binds(p).get(inside);
  assert.equal(host, repoPath('docker', 's3prober.yaml'));
  const env = { ...process.env, S3_ACCESS_KEY: p.environment!.S3_ACCESS_KEY!, S3_SECRET_KEY: p.environment!.S3_SECRET_KEY! };
  const r = runOk(process.execPath, [repoPath('dist', 'src', 'cli', 'main.js'), 'check-config', host], { env });
  const cfg = parse(r.stdout) as { targets: { endpoint: string }[] };
  // The target is the compose S3 service, with the keys the S3 server was started with.
  const u = new URL(cfg.targets[0]!.endpoint);
  assert.ok(services[u.hostname]?.ports?.some((x) => x.target === Number(u.port)));
  const s3env = services.s3!.environment!;
  assert.equal(s3env.MINIO_ROOT_USER, p.environment!.S3_ACCESS_KEY);
  assert.equal(s3env.MINIO_ROOT_PASSWORD, p.environment!.S3_SECRET_KEY);
});
