// The Kubernetes manifests: `kubectl kustomize` renders every overlay; every object validates
// against the Kubernetes and Prometheus Operator schemas (at run time, and by tsc for misspelt
// keys); the pods meet the security policy (non-root, read-only root, only BPF and PERFMON added,
// Pod Security level as the namespace enforces it), have probes and resources, take credentials
// from a Secret; the config passes check-config; the PrometheusRules and dashboard ConfigMaps are
// the rule files and dashboards themselves, and the generated copies are up to date.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ENV_REFERENCE } from '../../../src/config/interpolate.js';
import { parseShard } from '../../../src/config/shard.js';
import { DEFAULT_PORT } from '../../../src/config/listen.js';
import { VERSION } from '../../../src/version.js';
import { CLI } from '../../support/exporter.js';
import { repoPath, run, runOk } from '../../support/deploy/lib.js';
import { type K8sObject, MODEL_MODULES, overlays, render, typeKey, validateObject } from '../../support/deploy/kubernetes.js';

const rendered = new Map(['base', ...overlays().map((o) => `overlays/${o}`)].map((f) => [f, render(f)]));
const EBPF_CAPS = ['BPF', 'PERFMON'];

function only<T extends K8sObject>(objs: K8sObject[], kind: string): T {
  const found = objs.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `exactly one ${kind}, found ${found.length}`);
  return found[0] as T;
}
const workload = (objs: K8sObject[]) => only<K8sObject & IStatefulSet>(objs, 'StatefulSet');
const podSpec = (objs: K8sObject[]): IPodSpec => workload(objs).spec!.template.spec!;
const container = (objs: K8sObject[]): IContainer => {
  const cs = podSpec(objs).containers;
  assert.equal(cs.length, 1);
  return cs[0]!;
};

test('the overlays ebpf, no-ebpf and sharded exist and render', () => {
  assert.deepEqual(overlays(), ['ebpf', 'no-ebpf', 'sharded']);
  for (const [folder, objs] of rendered) assert.ok(objs.length >= 10, `${folder}: ${objs.length} objects`);
});

test('every rendered object validates against its Kubernetes or Prometheus Operator schema', () => {
  for (const [folder, objs] of rendered) {
    for (const o of objs) assert.doesNotThrow(() => validateObject(o), `${folder}: ${o.kind}/${o.metadata.name}`);
  }
  // The validator is real: a wrong type and a bad duration are rejected.
  const sts = structuredClone(workload(rendered.get('base')!)) as K8sObject & IStatefulSet;
  (sts.spec!.template.spec!.containers[0]!.ports![0] as { containerPort: unknown }).containerPort = 'metrics';
  assert.throws(() => validateObject(sts), /containerPort must be integer/);
  const rule = structuredClone(rendered.get('base')!.find((o) => o.kind === 'PrometheusRule')!) as K8sObject & { spec: { groups: { rules: { for?: string }[] }[] } };
  rule.spec.groups[0]!.rules[0]!.for = 'ten minutes';
  assert.throws(() => validateObject(rule), /for must match pattern/);
});

test('every rendered object type-checks against its model type: no misspelt or unknown key (tsc)', () => {
  // The schemas allow unknown keys (so does the API server, which drops them): tsc's excess
  // property check on each object literal does not.
  const dir = repoPath('.work', 'k8s-typecheck');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const keys = Object.keys(MODEL_MODULES);
  const lines = keys.map((k, i) => `import type { I${k.split('/').pop()} as T${i} } from '${MODEL_MODULES[k]}';`);
  for (const [folder, objs] of rendered) {
    for (const [n, o] of objs.entries()) {
      lines.push(`// ${folder}: ${o.kind}/${o.metadata.name}`, `export const o${lines.length}_${n} = ${JSON.stringify(o)} satisfies T${keys.indexOf(typeKey(o))};`);
    }
  }
  const sts = keys.indexOf('apps/v1/StatefulSet');
  lines.push(
    '// @ts-expect-error misspelt key',
    `export const bad = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'x' }, spec: { selector: {}, serviceName: 'x', template: {}, replica: 2 } } satisfies T${sts};`,
  );
  writeFileSync(join(dir, 'objects.ts'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', skipLibCheck: true, types: [] },
    files: ['objects.ts'],
  }));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  const r = run(repoPath('node_modules', '.bin', 'tsc'), ['-p', join(dir, 'tsconfig.json')]);
  assert.equal(r.code, 0, `tsc found problems in the manifests:\n${r.stdout}${r.stderr}`);
});

/** Pod Security Standards "restricted" checks that a pod spec fails (kubernetes.io/docs/concepts/security/pod-security-standards). */
function restrictedViolations(spec: IPodSpec): string[] {
  const out: string[] = [];
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push('host namespaces');
  const allowedVolumes = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
  for (const v of spec.volumes ?? []) {
    for (const k of Object.keys(v)) if (k !== 'name' && !allowedVolumes.includes(k)) out.push(`volume type ${k}`);
  }
  const podSc = spec.securityContext ?? {};
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) out.push(`${c.name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${c.name}: allowPrivilegeEscalation not false`);
    if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) out.push(`${c.name}: runAsNonRoot not true`);
    if ((sc.runAsUser ?? podSc.runAsUser) === 0) out.push(`${c.name}: runAsUser 0`);
    const seccomp = (sc.seccompProfile ?? podSc.seccompProfile)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${c.name}: seccomp ${seccomp}`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${c.name}: capabilities not dropped`);
    for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') out.push(`${c.name}: adds ${cap}`);
    for (const p of c.ports ?? []) if (p.hostPort) out.push(`${c.name}: hostPort`);
  }
  return out;
}

test('pods: non-root, read-only root, no privilege, only BPF and PERFMON added (ebpf only), as the namespace enforces', () => {
  for (const [folder, objs] of rendered) {
    const spec = podSpec(objs);
    const c = container(objs);
    const sc = c.securityContext!;
    assert.equal(spec.securityContext?.runAsNonRoot, true, folder);
    assert.equal(spec.securityContext?.runAsUser, 10001, `${folder}: the image's user`);
    assert.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault', folder);
    assert.equal(sc.privileged, false, folder);
    assert.equal(sc.allowPrivilegeEscalation, false, folder);
    assert.equal(sc.readOnlyRootFilesystem, true, folder);
    assert.deepEqual(sc.capabilities?.drop, ['ALL'], folder);
    const added = sc.capabilities?.add ?? [];
    const ebpf = ['overlays/ebpf', 'overlays/sharded'].includes(folder);
    assert.deepEqual(added, ebpf ? EBPF_CAPS : [], `${folder}: capabilities added`);
    assert.equal(spec.automountServiceAccountToken, false, folder);
    // Pod Security: restricted where the pod meets it; privileged only for the capabilities.
    const namespace = only(objs, 'Namespace').metadata;
    const ns = namespace.labels!;
    const violations = restrictedViolations(spec);
    assert.deepEqual(violations, added.map((cap) => `s3prober: adds ${cap}`), folder);
    assert.equal(ns['pod-security.kubernetes.io/enforce'], violations.length ? 'privileged' : 'restricted', folder);
    assert.equal(ns['pod-security.kubernetes.io/warn'], 'restricted', folder);
    for (const o of objs) if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, namespace.name, `${folder}: ${o.kind} in the namespace`);
  }
});

test('the restricted checks are no formality: a pod with another capability or as root fails the restricted checks', () => {
  const spec = structuredClone(podSpec(rendered.get('overlays/no-ebpf')!));
  assert.deepEqual(restrictedViolations(spec), []);
  spec.containers[0]!.securityContext!.capabilities!.add = ['SYS_ADMIN'];
  spec.securityContext!.runAsUser = 0;
  spec.volumes!.push({ name: 'host', hostPath: { path: '/' } });
  assert.deepEqual(restrictedViolations(spec), ['volume type hostPath', 's3prober: runAsUser 0', 's3prober: adds SYS_ADMIN']);
});

test('probes on /-/healthy and /-/ready, resources requested, memory limited, image of this version', () => {
  for (const [folder, objs] of rendered) {
    const c = container(objs);
    assert.equal(c.livenessProbe?.httpGet?.path, '/-/healthy', folder);
    assert.equal(c.readinessProbe?.httpGet?.path, '/-/ready', folder);
    for (const p of [c.livenessProbe!, c.readinessProbe!]) assert.equal(p.httpGet!.port, 'metrics', folder);
    assert.deepEqual(c.ports?.map((p) => [p.name, p.containerPort]), [['metrics', DEFAULT_PORT]], folder);
    assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory, `${folder}: requests`);
    assert.ok(c.resources?.limits?.memory, `${folder}: memory limit`);
    assert.equal(c.resources?.limits?.cpu, undefined, `${folder}: no CPU limit (throttling would show as store latency)`);
    assert.equal(c.image, `s3prober:${VERSION}`, folder);
  }
  // The server has those routes.
  const app = readFileSync(repoPath('src', 'server', 'app.ts'), 'utf8');
  for (const path of ['/-/healthy', '/-/ready']) assert.ok(app.includes(`app.get('${path}'`), path);
});

test('credentials come from a Secret the user creates: none rendered, none inlined', () => {
  for (const [folder, objs] of rendered) {
    assert.deepEqual(objs.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name), [], `${folder}: no Secret in the manifests`);
    const env = container(objs).env ?? [];
    const fromSecret = env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
    assert.deepEqual(fromSecret, ['S3_ACCESS_KEY', 'S3_SECRET_KEY'], folder);
    for (const e of env) if (/KEY|SECRET|TOKEN|PASSWORD/.test(e.name)) assert.equal(e.value, undefined, `${folder}: ${e.name} has a literal value`);
    const config = parse(configText(objs)) as { targets: { credentials: Record<string, string> }[] };
    for (const t of config.targets) {
      for (const [k, v] of Object.entries(t.credentials)) assert.match(v, /^\$\{[A-Z0-9_]+\}$/, `${folder}: credentials.${k} is a reference`);
    }
  }
});

function configText(objs: K8sObject[]): string {
  const c = container(objs);
  const file = c.env!.find((e) => e.name === 'S3PROBER_CONFIG')!.value!;
  const mount = c.volumeMounts!.find((m) => file.startsWith(`${m.mountPath}/`))!;
  const volume = podSpec(objs).volumes!.find((v) => v.name === mount.name)!;
  const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap!.name) as K8sObject & { data: Record<string, string> };
  assert.ok(cm, `the ConfigMap ${volume.configMap!.name} of the config volume`);
  const text = cm.data[file.slice(mount.mountPath.length + 1)];
  assert.ok(text, `${file} is a key of ${cm.metadata.name}`);
  return text;
}

test("the rendered config passes check-config with the pod's environment, and names only variables the pod sets", () => {
  const dir = mkdtempSync(join(tmpdir(), 's3prober-k8s-'));
  try {
    for (const [folder, objs] of rendered) {
      const text = configText(objs);
      const env = container(objs).env!;
      const podEnv: Record<string, string> = Object.fromEntries(env.map((e) => [e.name, e.value ?? `from-secret-${e.name.toLowerCase()}`]));
      for (const [, name] of text.matchAll(ENV_REFERENCE)) assert.ok(name! in podEnv, `${folder}: the config uses \${${name}}, which the pod does not set`);
      const file = join(dir, 'config.yaml');
      writeFileSync(file, text);
      const r = run(process.execPath, [CLI, 'check-config', file], { env: { PATH: process.env.PATH, ...podEnv } });
      assert.equal(r.code, 0, `${folder}: ${r.stderr}`);
      assert.match(r.stdout, /name: rook-ceph-rgw/);
      // the tracer is asked for only where the pod may load it: elsewhere it is off on purpose, no alarm
      const mayLoad = container(objs).securityContext?.capabilities?.add?.includes('BPF') === true;
      assert.match(r.stdout, new RegExp(`ebpf:\\n  enabled: ${mayLoad}\\n`), `${folder}: ebpf.enabled`);
      assert.doesNotMatch(r.stdout, /from-secret-s3_secret_key/, 'the secret is redacted');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sharded: one pod per shard, each ordinal a valid shard of the count', () => {
  const objs = rendered.get('overlays/sharded')!;
  const sts = workload(objs);
  const spec = container(objs).env!.find((e) => e.name === 'S3PROBER_SHARD')?.value;
  assert.ok(spec, 'S3PROBER_SHARD set');
  const replicas = sts.spec!.replicas!;
  assert.ok(replicas > 1);
  for (let i = 0; i < replicas; i++) assert.deepEqual(parseShard(spec, `${sts.metadata!.name}-${i}`), { index: i, count: replicas });
  assert.throws(() => parseShard(spec, `${sts.metadata!.name}-${replicas}`), /not below COUNT/);
  for (const o of overlays().filter((x) => x !== 'sharded')) {
    const other = rendered.get(`overlays/${o}`)!;
    assert.equal(workload(other).spec!.replicas, 1, o);
    assert.equal(container(other).env!.find((e) => e.name === 'S3PROBER_SHARD'), undefined, o);
  }
});

test('Service, ServiceMonitor and NetworkPolicy select the pods and their metrics port; job is s3prober', () => {
  for (const [folder, objs] of rendered) {
    const sts = workload(objs);
    const podLabels = sts.spec!.template.metadata!.labels!;
    const matches = (sel: Record<string, string> | undefined, labels: Record<string, string>) =>
      Object.entries(sel ?? {}).every(([k, v]) => labels[k] === v) && Object.keys(sel ?? {}).length > 0;
    const svc = only<K8sObject & { spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[]; clusterIP?: string } }>(objs, 'Service');
    assert.equal(sts.spec!.serviceName, svc.metadata.name, `${folder}: the StatefulSet's governing Service`);
    assert.ok(matches(svc.spec.selector, podLabels), `${folder}: Service selects the pods`);
    assert.deepEqual(svc.spec.ports.map((p) => [p.name, p.targetPort]), [['metrics', 'metrics']], folder);
    const sm = only<K8sObject & { spec: { jobLabel: string; selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } }>(objs, 'ServiceMonitor');
    assert.ok(matches(sm.spec.selector.matchLabels, svc.metadata.labels!), `${folder}: ServiceMonitor selects the Service`);
    assert.deepEqual(sm.spec.endpoints.map((e) => [e.port, e.path]), [['metrics', '/metrics']], folder);
    assert.equal(svc.metadata.labels![sm.spec.jobLabel], 's3prober', `${folder}: job="s3prober", as the alerts expect`);
    const np = only<K8sObject & { spec: { podSelector: { matchLabels: Record<string, string> }; ingress: { ports: { port: string }[] }[]; policyTypes: string[] } }>(objs, 'NetworkPolicy');
    assert.ok(matches(np.spec.podSelector.matchLabels, podLabels), `${folder}: NetworkPolicy applies to the pods`);
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(np.spec.ingress.flatMap((i) => i.ports.map((p) => p.port)), ['metrics']);
  }
});

test('the PrometheusRules are the rule files of deploy/prometheus, every one of them', () => {
  const ruleFiles = readdirSync(repoPath('deploy', 'prometheus')).filter((f) => /^s3prober\.(.+\.)?(rules|alerts)\.yml$/.test(f)).sort();
  assert.ok(ruleFiles.length >= 3, ruleFiles.join());
  for (const [folder, objs] of rendered) {
    const rules = objs.filter((o) => o.kind === 'PrometheusRule') as (K8sObject & { spec: unknown })[];
    assert.deepEqual(rules.map((r) => `${r.metadata.name.replaceAll('-', '.')}.yml`).sort(), ruleFiles, folder);
    for (const r of rules) {
      const file = `${r.metadata.name.replaceAll('-', '.')}.yml`;
      assert.deepEqual(r.spec, parse(readFileSync(repoPath('deploy', 'prometheus', file), 'utf8')), `${folder}: ${r.metadata.name} differs from ${file}`);
    }
  }
});

test('the dashboards are ConfigMaps for the Grafana sidecar, each the dashboard file itself', () => {
  const dashDir = repoPath('deploy', 'grafana', 'dashboards');
  const files = readdirSync(dashDir).filter((f) => f.endsWith('.json')).sort();
  for (const [folder, objs] of rendered) {
    const cms = objs.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1') as (K8sObject & { data: Record<string, string> })[];
    assert.deepEqual(cms.flatMap((c) => Object.keys(c.data)).sort(), files, folder);
    for (const c of cms) for (const [f, text] of Object.entries(c.data)) assert.equal(text, readFileSync(join(dashDir, f), 'utf8'), `${folder}: ${f}`);
  }
});

test('the generated files are what generate.mjs produces', () => {
  const tmp = mkdtempSync(join(tmpdir(), 's3prober-k8s-gen-'));
  try {
    runOk(process.execPath, [repoPath('deploy', 'kubernetes', 'generate.mjs'), tmp]);
    const committed = repoPath('deploy', 'kubernetes', 'base', 'generated');
    assert.deepEqual(readdirSync(tmp).sort(), readdirSync(committed).sort());
    for (const f of readdirSync(tmp)) {
      assert.equal(readFileSync(join(committed, f), 'utf8'), readFileSync(join(tmp, f), 'utf8'), `base/generated/${f} is stale: run node deploy/kubernetes/generate.mjs`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
