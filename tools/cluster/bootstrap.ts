// Makes a fresh control plane usable: what deploy/ ships (RBAC and admission policy, applied as an operator applies
// them), kwok nodes, and a token for the service account.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  loadAllYaml,
  type V1Node,
} from '@kubernetes/client-node';
import { waitForPolicies } from './policy-probes.ts';

/** deploy/'s manifests, in the order an operator applies them. */
export const deployManifests = ['rbac.yaml', 'policy-params.yaml', 'admission-policy.yaml'].map((f) =>
  join(import.meta.dirname, '../../deploy', f),
);
export const serviceAccount = { namespace: 'moop-system', name: 'moop-resource-service' };

type WaitUntil = (what: string, check: () => Promise<boolean>) => Promise<void>;

/** Creates every object of a multi-document YAML file with the given admin kubeconfig. */
export async function applyManifest(kubeconfig: string, file: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  for (const spec of loadAllYaml(readFileSync(file, 'utf8')) as KubernetesObject[]) {
    await objects.create(spec);
  }
}

function fakeNode(name: string): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
      },
    },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
    },
  };
}

/**
 * Applies deploy/, adds kwok nodes, waits until pods can run and the admission policy holds the service's account,
 * and returns a service-account token.
 */
export async function bootstrap(adminKubeconfig: string, nodes: number, waitUntil: WaitUntil): Promise<string> {
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  for (const manifest of deployManifests) await applyManifest(adminKubeconfig, manifest);
  for (let i = 0; i < nodes; i++) await core.createNode({ body: fakeNode(`kwok-node-${i}`) });

  await waitUntil('nodes Ready', async () => {
    const list = await core.listNode({ labelSelector: 'type=kwok' });
    return (
      list.items.length === nodes &&
      list.items.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    );
  });
  // The service-account controller's default account is what admission gives Job pods.
  await waitUntil(
    'default service account',
    async () => !!(await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' })),
  );

  const request = await core.createNamespacedServiceAccountToken({
    ...serviceAccount,
    body: { spec: { audiences: [], expirationSeconds: 7 * 24 * 3600 } },
  });
  if (!request.status?.token) throw new Error('the API server issued no token for the service account');
  const token = request.status.token;
  const asService = new KubeConfig();
  asService.loadFromClusterAndUser({ ...kc.getCurrentCluster()!, name: 'local' }, { name: 'service', token });
  await waitForPolicies(kc, asService, waitUntil);
  return token;
}
