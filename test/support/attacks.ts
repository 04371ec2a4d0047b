// Attacks made with the service's own credential (.local/kubeconfig-service, as if the Lambda's kubeconfig or the EKS
// role were stolen) straight at the API server: what it answered, and objects shaped as the service shapes its own.
import { randomBytes } from 'node:crypto';
import { type KubernetesObject, KubernetesObjectApi, type V1PodSpec } from '@kubernetes/client-node';
import { KubeClient } from '../../lib/kube/client.ts';
import { loadKubeconfig } from '../../lib/kube/kubeconfig.ts';
import { Resources } from '../../lib/kube/resources.ts';
import { prepareTenant } from '../../lib/tenants/preparation.ts';
import { TenantSchema } from '../../lib/tenants/tenant.ts';
import { serviceSubjects } from '../../tools/tenants.ts';
import { record } from '../fixtures/tenants.ts';
import { admin, serviceAccount } from './cluster.ts';

/** The service's own credential, as a generic client: what a thief of it can send. */
export const stolen = (): KubernetesObjectApi => KubernetesObjectApi.makeApiClient(serviceAccount().kc);

/** What the API server answered: made, or refused with its status and message. */
export async function attempt(call: Promise<unknown>): Promise<{ made: true } | { status: number; message: string }> {
  try {
    await call;
    return { made: true };
  } catch (err) {
    const e = err as { code?: number; body?: string };
    if (e.code === undefined) throw err;
    return { status: e.code, message: String((JSON.parse(e.body ?? '{}') as { message?: string }).message) };
  }
}

/** A refusal by a layer, named as the API server names it. */
export const refusedBy = (layer: string, status = 403) => ({ status, message: expect.stringContaining(layer) });

/** A refusal by whichever of several policies the API server asked first, where the attack breaks the rules of each. */
export const refusedByAny = (...policies: string[]) => ({
  status: 403,
  message: expect.stringMatching(new RegExp(policies.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'))),
});

/** The layers, as their refusals name them. */
export const layers = {
  scope: "ValidatingAdmissionPolicy 'moop-resource-service-scope'",
  volumes: "ValidatingAdmissionPolicy 'moop-resource-service-volumes'",
  claims: "ValidatingAdmissionPolicy 'moop-resource-service-claims'",
  pods: "ValidatingAdmissionPolicy 'moop-resource-service-pods'",
  rbac: 'cannot',
  podSecurity: 'violates PodSecurity "baseline',
} as const;

/** A fresh school id (24 hex digits) for a test file's own tenants. */
export const schoolId = (): string => `5c88a9ec${randomBytes(8).toString('hex')}`;

/** The service's marks of a school's objects. */
export const marks = (tenant: string): Record<string, string> => ({
  'app.kubernetes.io/managed-by': 'moop-resource-service',
  'moop.io/tenant': tenant,
});

/** Prepares namespace for tenant as an operator does (npm run prepare-tenant), with extra namespace labels first. */
export async function prepareNamespace(
  tenant: string,
  namespace: string,
  labels: Record<string, string> = {},
): Promise<void> {
  if (Object.keys(labels).length > 0)
    await admin().core.createNamespace({ body: { metadata: { name: namespace, labels } } });
  const client = new KubeClient(loadKubeconfig({ file: process.env.MOOP_TEST_ADMIN_KUBECONFIG! }), {
    timeoutMs: 10_000,
  });
  try {
    await prepareTenant(new Resources(client), TenantSchema.parse(record(tenant, namespace, {})), serviceSubjects());
  } finally {
    await client.close();
  }
}

/** Filter for objects of these namespaces, volumes reserved for a claim in one of them included (for sweep). */
export const ofNamespaces =
  (...namespaces: string[]) =>
  (o: KubernetesObject): boolean =>
    namespaces.includes(o.metadata?.namespace ?? '') ||
    namespaces.includes(String((o as { spec?: { claimRef?: { namespace?: string } } }).spec?.claimRef?.namespace));

let counter = 0;
/** A fresh name holding the tenant's id, as the service names what it makes (and the policy wants). */
const unique = (kind: string, labels: Record<string, string> = {}): string =>
  `${kind}-${labels['moop.io/tenant'] ?? 'none'}-${randomBytes(3).toString('hex')}-${counter++}`;

/** A bare copy Pod. */
export const pod = (
  namespace: string,
  spec: V1PodSpec,
  labels: Record<string, string>,
  annotations?: Record<string, string>,
) =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: unique('atk-pod', labels), namespace, labels, ...(annotations ? { annotations } : {}) },
    spec,
  }) as KubernetesObject & { spec: V1PodSpec };

/** A copy Job as the service makes one (deadline, few retries), with spec's pod; `job` changes the Job's own spec. */
export const job = (
  namespace: string,
  spec: V1PodSpec,
  labels: Record<string, string>,
  change: Record<string, unknown> = {},
) =>
  ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: unique('atk-job', labels), namespace, labels },
    spec: { activeDeadlineSeconds: 600, backoffLimit: 2, template: { metadata: { labels }, spec }, ...change },
  }) as KubernetesObject;

/** An NFS volume as the service makes one, reserved for a claim in namespace; change overrides its spec. */
export const nfsVolume = (
  namespace: string,
  path: string,
  labels: Record<string, string>,
  change: Record<string, unknown> = {},
) =>
  ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: unique('atk-pv', labels), labels },
    spec: {
      accessModes: ['ReadWriteMany'],
      capacity: { storage: '1Gi' },
      persistentVolumeReclaimPolicy: 'Retain',
      nfs: { server: '10.0.0.2', path },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: unique('atk-claim', labels) },
      ...change,
    },
  }) as KubernetesObject & { spec: Record<string, unknown> };

/** A claim; without a storage class it selects volume `pv` of the tenant, as a match claim does. */
export const claimFor = (namespace: string, labels: Record<string, string>, spec: Record<string, unknown>) =>
  ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: unique('atk-claim', labels), namespace, labels },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } }, ...spec },
  }) as KubernetesObject;
