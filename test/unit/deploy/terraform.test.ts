// Terraform module and example, checked without a terraform binary: HCL parses (@cdktf/hcl2json),
// formatting is canonical (hclfmt), variables are declared/documented/used, module calls match
// the module's inputs, IAM is scoped to the canary buckets and key prefix, ingress only from the
// scrape CIDRs, the tracer's capabilities and nothing broader, and the example config is valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { DEFAULT_LISTEN, DEFAULT_PORT } from '../../../src/config/listen.js';
import { durableKeyPrefix, replicationKeyPrefix } from '../../../src/probes/naming.js';
import { OPERATIONS } from '../../../src/results/operations.js';
import { hclfmtPath, repoPath, repoRoot, run, runOk } from '../../support/deploy/lib.js';

// biome-ignore lint/suspicious/noExplicitAny: HCL as JSON, walked by block and attribute name
type Json = Record<string, any>;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? (f.startsWith('.terraform') ? [] : walk(p)) : [p];
  });
}

const tfRoot = repoPath('terraform');
const hclFiles = walk(tfRoot).filter((f) => f.endsWith('.tf') || f.endsWith('.tfvars.example'));
const moduleDirs = [...new Set(hclFiles.filter((f) => f.endsWith('.tf')).map((f) => dirname(f)))];
const parsed = new Map<string, Json>();

async function parsedFile(f: string): Promise<Json> {
  let j = parsed.get(f);
  if (!j) {
    j = await parseHcl(relative(repoRoot, f), readFileSync(f, 'utf8'));
    parsed.set(f, j);
  }
  return j;
}

/** The parsed .tf files of one module directory, merged per block type. */
async function moduleJson(dir: string): Promise<{ files: Json[]; text: string }> {
  const files = await Promise.all(hclFiles.filter((f) => dirname(f) === dir && f.endsWith('.tf')).map(parsedFile));
  return { files, text: JSON.stringify(files) };
}

const blocks = (files: Json[], kind: string): Record<string, Json[]> => Object.assign({}, ...files.map((f) => f[kind] ?? {}));

test('the module and the three-region example exist', () => {
  const rel = moduleDirs.map((d) => relative(tfRoot, d)).sort();
  assert.deepEqual(rel, ['examples/three-regions', 'modules/s3prober-region']);
});

test('every .tf file parses as HCL', async () => {
  assert.ok(hclFiles.length >= 8);
  for (const f of hclFiles) {
    const j = await parsedFile(f);
    assert.ok(Object.keys(j).length > 0, `${f} parsed to nothing`);
  }
  // The parser reports syntax errors (with file:line), so the check above can fail.
  await assert.rejects(parseHcl('bad.tf', 'variable "x" {\n  type = \n}\n'), /bad\.tf:2/);
});

test('formatting is canonical (hclfmt, like terraform fmt -check)', () => {
  const hclfmt = hclfmtPath();
  for (const f of hclFiles) {
    const r = run(hclfmt, ['-require-no-change', f]);
    assert.equal(r.code, 0, `${relative(repoRoot, f)} is not canonically formatted:\n${runOk(hclfmt, [f]).stdout}`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 's3prober-hcl-'));
  try {
    writeFileSync(join(tmp, 'x.tf'), 'variable "x" {\n  type = string\n    default="a"\n}\n');
    assert.notEqual(run(hclfmt, ['-require-no-change', join(tmp, 'x.tf')]).code, 0);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('every variable used is declared with a description, and every declared one is used', async () => {
  for (const dir of moduleDirs) {
    const { files, text } = await moduleJson(dir);
    const declared = blocks(files, 'variable');
    const used = new Set([...text.matchAll(/\bvar\.([A-Za-z_][\w-]*)/g)].map((m) => m[1]!));
    const where = relative(repoRoot, dir);
    assert.ok(used.size > 0, `${where}: uses no variables`);
    for (const v of used) assert.ok(declared[v], `${where}: var.${v} is used but not declared`);
    for (const [name, [body]] of Object.entries(declared)) {
      assert.ok(typeof body?.description === 'string' && body.description.trim().length > 10, `${where}: variable ${name} needs a description`);
      assert.ok(body?.type, `${where}: variable ${name} needs a type`);
      assert.ok(used.has(name), `${where}: variable ${name} is declared but never used`);
    }
  }
});

test('module calls pass exactly the module inputs, required ones included', async () => {
  const { files } = await moduleJson(repoPath('terraform', 'examples', 'three-regions'));
  const calls = blocks(files, 'module');
  assert.equal(Object.keys(calls).length, 3, 'three regions');
  const aliases = new Set<string>();
  for (const [name, [call]] of Object.entries(calls)) {
    const target = join(repoPath('terraform', 'examples', 'three-regions'), call!.source);
    const inputs = blocks((await moduleJson(target)).files, 'variable');
    const args = Object.keys(call!).filter((k) => !['source', 'providers', 'count', 'for_each', 'depends_on', 'version'].includes(k));
    for (const a of args) assert.ok(inputs[a], `module.${name}: ${a} is not an input of ${call!.source}`);
    for (const [v, [body]] of Object.entries(inputs)) {
      if (!('default' in body!)) assert.ok(args.includes(v), `module.${name}: required input ${v} missing`);
    }
    aliases.add(JSON.stringify(call!.providers));
  }
  assert.equal(aliases.size, 3, 'each module call uses its own regional provider');
  const providers = (files.flatMap((f) => f.provider?.aws ?? []) as Json[]).map((p): unknown => p.region);
  assert.equal(new Set(providers).size, 3, `three distinct regions: ${providers}`);
});

// IAM actions each S3 operation of the canary cycle needs.
const IAM_FOR_OPERATION: Record<(typeof OPERATIONS)[number], string> = {
  CreateBucket: 's3:CreateBucket',
  PutObject: 's3:PutObject',
  HeadObject: 's3:GetObject',
  GetObject: 's3:GetObject',
  ListObjectsV2: 's3:ListBucket',
  ListBuckets: 's3:ListAllMyBuckets',
  DeleteObject: 's3:DeleteObject',
  DeleteObjects: 's3:DeleteObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  DeleteBucket: 's3:DeleteBucket',
};
const BUCKET_LEVEL = new Set(['s3:CreateBucket', 's3:DeleteBucket', 's3:ListBucket', 's3:ListBucketMultipartUploads']);

/** S3 access beside the canary's: the durable set (never deleted by the prober) and the replicated
 *  buckets (operator-owned: never created or deleted), each below its own key prefix. */
const OTHER_S3: Record<string, string[]> = {
  '${local.durable_bucket_arns}': ['s3:CreateBucket', 's3:ListBucket'],
  '${local.durable_objects_arns}': ['s3:GetObject', 's3:PutObject'],
  '${local.replicated_bucket_arns}': ['s3:ListBucket'],
  '${local.replicated_objects_arns}': ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
};

interface Statement {
  sid?: string;
  actions: string[];
  /** A list, or one list-valued expression (a dynamic statement's local). */
  resources: string[] | string;
}

async function policyStatements(): Promise<Map<string, Statement[]>> {
  const { files } = await moduleJson(repoPath('terraform', 'modules', 's3prober-region'));
  const docs = (files.flatMap((f) => Object.entries(f.data?.aws_iam_policy_document ?? {})) as [string, Json[]][]);
  const out = new Map<string, Statement[]>();
  for (const [name, [doc]] of docs) {
    const direct = (doc!.statement ?? []) as Statement[];
    const dynamic = ((doc!.dynamic?.statement ?? []) as Json[]).flatMap((d) => d.content as Statement[]);
    out.set(name, [...direct, ...dynamic]);
  }
  return out;
}

test('IAM: S3 access is limited to the canary bucket prefix and key prefix', async () => {
  const { files } = await moduleJson(repoPath('terraform', 'modules', 's3prober-region'));
  const locals = Object.assign({}, ...files.flatMap((f) => f.locals ?? [])) as Record<string, string>;
  // The ARNs every S3 statement must use, as written in the module.
  assert.match(locals.canary_bucket_arn!, /"arn:\$\{local\.partition\}:s3:::\$\{var\.canary_bucket_prefix\}-\*"/);
  assert.match(locals.canary_bucket_arn!, /"arn:\$\{local\.partition\}:s3:::\$\{var\.canary_bucket_name\}"/);
  assert.equal(locals.canary_objects_arn, '${local.canary_bucket_arn}/${var.canary_key_prefix}*');
  const statements = [...(await policyStatements()).values()].flat();
  const granted = new Set<string>();
  for (const s of statements) {
    for (const a of s.actions) {
      assert.ok(!a.includes('*'), `wildcard action ${a} (sid ${s.sid})`);
      if (!a.startsWith('s3:')) continue;
      granted.add(a);
      if (a === 's3:ListAllMyBuckets') {
        // S3 cannot scope ListBuckets; it must be the only action of its statement.
        assert.deepEqual(s.actions, ['s3:ListAllMyBuckets']);
        continue;
      }
      // a dynamic statement's resources are one list-valued local
      const other = typeof s.resources === 'string' ? OTHER_S3[s.resources] : undefined;
      if (other) {
        assert.ok(other.includes(a), `${a} is not granted on ${String(s.resources)}`);
        continue;
      }
      const want = BUCKET_LEVEL.has(a) ? '${local.canary_bucket_arn}' : '${local.canary_objects_arn}';
      assert.deepEqual(s.resources, [want], `${a} (sid ${s.sid}) must be scoped to ${want}`);
    }
  }
  for (const op of OPERATIONS) assert.ok(granted.has(IAM_FOR_OPERATION[op]), `${op} needs ${IAM_FOR_OPERATION[op]}`);
});

test('IAM: the durable set and the replicated buckets, each below the key prefix its keys have', async () => {
  const { files } = await moduleJson(repoPath('terraform', 'modules', 's3prober-region'));
  const locals = Object.assign({}, ...files.flatMap((f) => f.locals ?? [])) as Record<string, string>;
  const prefix = 's3prober/'; // canary_key_prefix, as the example sets it
  // the prober's own key layout (src/probes/naming.ts): every target's and replication's keys under the grant
  const under = (local: string, key: string) => {
    const m = /\$\{b\}\/(.*)\*"?\]?\}?$/.exec(locals[local]!);
    assert.ok(m, `${local}: ${locals[local]}`);
    const granted = m[1]!.replace('${var.canary_key_prefix}', prefix);
    assert.ok(key.startsWith(granted), `${key} is not under ${granted}* (${local})`);
  };
  under('durable_objects_arns', durableKeyPrefix(prefix, 'any-target'));
  under('replicated_objects_arns', replicationKeyPrefix(prefix, 'any-pair'));
  const statements = [...(await policyStatements()).values()].flat();
  for (const resource of Object.keys(OTHER_S3)) {
    const granted = statements.filter((st) => [st.resources].flat().includes(resource)).flatMap((st) => st.actions).sort();
    assert.deepEqual(granted, [...OTHER_S3[resource]!].sort(), resource);
  }
});

test('IAM: only ListAllMyBuckets and the ECR login use a "*" resource; SSM is limited to own parameters', async () => {
  const docs = await policyStatements();
  for (const [doc, statements] of docs) {
    for (const s of statements) {
      if (doc === 'assume') continue;
      if (s.resources.includes('*')) {
        assert.ok(
          JSON.stringify(s.actions) === '["s3:ListAllMyBuckets"]' || JSON.stringify(s.actions) === '["ecr:GetAuthorizationToken"]',
          `${doc}/${s.sid}: "*" resource for ${s.actions}`,
        );
      }
      if (s.actions.some((a) => a.startsWith('ssm:'))) {
        assert.deepEqual(s.actions.sort(), ['ssm:GetParameter', 'ssm:GetParameters']);
        const res = JSON.stringify(s.resources);
        assert.ok(res.includes('aws_ssm_parameter.config.arn') && res.includes('var.secret_parameters') && !res.includes('parameter/*'), res);
      }
      if (s.actions.includes('kms:Decrypt')) assert.ok(JSON.stringify(s).includes('kms:ViaService'), 'kms:Decrypt only via SSM');
    }
  }
  assert.deepEqual([...docs.keys()].sort(), ['assume', 'canary', 'runtime']);
});

test('network: the scrape port is the only ingress, from the given CIDRs only', async () => {
  const { files, text } = await moduleJson(repoPath('terraform', 'modules', 's3prober-region'));
  const resources = blocks(files, 'resource') as unknown as Record<string, Record<string, Json[]>>;
  assert.ok(!('aws_security_group_rule' in resources), 'use the per-rule resources only');
  for (const [, [sg]] of Object.entries(resources.aws_security_group ?? {})) assert.ok(!('ingress' in sg!), 'no inline ingress');
  const ingress = Object.entries(resources.aws_vpc_security_group_ingress_rule ?? {});
  assert.equal(ingress.length, 1);
  const [, [rule]] = ingress[0]!;
  assert.equal(rule!.for_each, '${toset(var.scrape_cidrs)}');
  assert.equal(rule!.cidr_ipv4, '${each.value}');
  assert.equal(rule!.from_port, '${var.scrape_port}');
  assert.equal(rule!.to_port, '${var.scrape_port}');
  assert.equal(rule!.ip_protocol, 'tcp');
  assert.ok(!text.includes('cidr_ipv6'), 'no IPv6 ingress');
  // The variable refuses the whole internet.
  const v = blocks(files, 'variable').scrape_cidrs![0]!;
  assert.ok(JSON.stringify(v.validation).includes('0.0.0.0/0'));
  // The port s3prober listens on unless told otherwise.
  assert.equal(blocks(files, 'variable').scrape_port![0]!.default, DEFAULT_PORT);
});

test('container: non-root, only CAP_BPF and CAP_PERFMON added, config and secrets from SSM', async () => {
  const tpl = readFileSync(repoPath('terraform', 'modules', 's3prober-region', 'templates', 'user-data.sh.tftpl'), 'utf8');
  assert.match(tpl, /--user 10001:10001/);
  assert.match(tpl, /--cap-drop ALL --cap-add BPF --cap-add PERFMON/);
  const code = tpl.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
  assert.doesNotMatch(code, /--privileged|SYS_ADMIN|--cap-add (?!BPF|PERFMON)/);
  assert.match(tpl, /aws ssm get-parameter --region \$\{region\} --name '\$\{config_parameter\}'/);
  assert.match(tpl, /--with-decryption/);
  assert.match(tpl, /-p \$\{scrape_port\}:\$\{scrape_port\}/);
  // Every template placeholder is passed by templatefile() in main.tf.
  const { files } = await moduleJson(repoPath('terraform', 'modules', 's3prober-region'));
  const locals = Object.assign({}, ...files.flatMap((f) => f.locals ?? [])) as Record<string, string>;
  const passed = new Set([...locals.user_data!.matchAll(/^\s*(\w+)\s*=/gm)].map((m) => m[1]!));
  const loopVars = new Set([...tpl.matchAll(/%\{\s*for\s+(\w+)(?:\s*,\s*(\w+))?\s+in/g)].flatMap((m) => [m[1]!, m[2]!].filter(Boolean)));
  const refs = [...tpl.matchAll(/(?<!\$)\$\{\s*(\w+)|%\{\s*(?:if|for\s+\w+(?:\s*,\s*\w+)?\s+in)\s+(\w+)/g)].map((m) => m[1] ?? m[2]!);
  assert.ok(refs.length > 5);
  for (const r of refs) assert.ok(passed.has(r) || loopVars.has(r), `template uses ${r}, not passed by templatefile()`);
  for (const p of passed) assert.ok(refs.includes(p), `templatefile() passes ${p}, unused by the template`);
  const resources = blocks(files, 'resource') as unknown as Record<string, Record<string, Json[]>>;
  const ssm = resources.aws_ssm_parameter!.config![0]!;
  assert.equal(ssm.value, '${var.config_yaml}');
});

test('the example config renders to a configuration s3prober accepts', () => {
  const dir = repoPath('terraform', 'examples', 'three-regions');
  const tpl = readFileSync(join(dir, 'config.yaml.tftpl'), 'utf8');
  const vars: Record<string, string> = {
    region: 'eu-west-1',
    ceph_endpoint: 'https://s3.example.com',
    canary_bucket_prefix: 's3prober-canary',
    canary_key_prefix: 's3prober/',
  };
  // Terraform template semantics: ${x} is substituted, $${ is a literal ${.
  const rendered = tpl.replace(/(\$?)\$\{(\w+)\}/g, (_all, esc: string, name: string) => {
    if (esc) return `\${${name}}`;
    assert.ok(name in vars, `template variable ${name} not passed`);
    return vars[name]!;
  });
  const main = readFileSync(join(dir, 'main.tf'), 'utf8');
  for (const k of Object.keys(vars)) assert.match(main, new RegExp(`\\b${k}\\s*=`), `main.tf passes ${k}`);
  // The prefixes the config uses are the ones IAM is scoped to.
  assert.match(main, /canary_bucket_prefix = local\.canary_bucket_prefix/);
  assert.match(main, /canary_key_prefix\s+= local\.canary_key_prefix/);
  const tmp = mkdtempSync(join(tmpdir(), 's3prober-tfcfg-'));
  try {
    writeFileSync(join(tmp, 'config.yaml'), rendered);
    const env = { ...process.env, CEPH_ACCESS_KEY_ID: 'AKIDEXAMPLE', CEPH_SECRET_ACCESS_KEY: 'example-secret' };
    const r = run(process.execPath, [repoPath('dist', 'src', 'cli', 'main.js'), 'check-config', join(tmp, 'config.yaml')], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /prefix: s3prober-canary/);
    assert.match(r.stdout, /keyPrefix: s3prober\//);
    assert.match(r.stdout, new RegExp(`^listen: ${DEFAULT_LISTEN}$`, 'm'));
    assert.doesNotMatch(r.stdout, /example-secret/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
