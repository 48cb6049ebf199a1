// The Kubernetes manifests (deploy/kubernetes) as `kubectl kustomize` renders them, and the schema
// of each kind they hold: Kubernetes' own (kubernetes-models) and the Prometheus Operator's.
import { readdirSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { Namespace, ServiceAccount, ConfigMap, Service } from 'kubernetes-models/v1';
import { StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { repoPath, runOk } from './lib.js';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** The overlays shipped (every folder of overlays/), each a `kubectl apply -k` entry point. */
export function overlays(): string[] {
  return readdirSync(repoPath('deploy', 'kubernetes', 'overlays')).sort();
}

/** What `kubectl kustomize` renders for a folder of deploy/kubernetes (e.g. overlays/ebpf). */
export function render(folder: string): K8sObject[] {
  const out = runOk('kubectl', ['kustomize', repoPath('deploy', 'kubernetes', folder)]).stdout;
  return parseAllDocuments(out).map((d) => d.toJS() as K8sObject).filter((o) => o !== null);
}

/** A model class per apiVersion/kind: constructing one and calling validate() checks the object
 *  against the published OpenAPI schema (types, formats, enums, patterns, required fields). */
const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/** Where each kind's TypeScript interface is (I<Kind>), for the excess-property check by tsc. */
export const MODEL_MODULES: Record<string, string> = {
  'v1/Namespace': 'kubernetes-models/v1/Namespace',
  'v1/ServiceAccount': 'kubernetes-models/v1/ServiceAccount',
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Service': 'kubernetes-models/v1/Service',
  'apps/v1/StatefulSet': 'kubernetes-models/apps/v1/StatefulSet',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
  'monitoring.coreos.com/v1/ServiceMonitor': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PrometheusRule': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
};

export const typeKey = (o: { apiVersion: string; kind: string }): string => `${o.apiVersion}/${o.kind}`;

/** Throws with the schema's message when the object does not validate, or has no known schema. */
export function validateObject(o: K8sObject): void {
  const Model = MODELS[typeKey(o)];
  if (!Model) throw new Error(`${typeKey(o)} ${o.metadata.name}: no schema to check it against`);
  new Model(o as never).validate();
}
