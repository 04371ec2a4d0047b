// Proof that deploy/admission-policy.yaml is in force before anything runs: a new policy reaches the API server's
// admission through an informer, a moment after it is made. Each of its four policies is asked, with the service's
// own token and a dry run (nothing is made either way), to refuse one thing only it refuses, in a namespace prepared
// for a probe tenant as npm run prepare-tenant prepares one (but not labelled as a tenant's: cleanup never walks it).
import { CoreV1Api, type KubeConfig, KubernetesObjectApi, type V1PersistentVolume } from '@kubernetes/client-node';
import { preparedObjects } from '../../lib/tenants/preparation.ts';
import { serviceSubjects, shippedPolicyParams } from '../tenants.ts';

type WaitUntil = (what: string, check: () => Promise<boolean>) => Promise<void>;

const namespace = 'moop-policy-probe';
const tenant = '000000000000000000000000';
const labels = { 'app.kubernetes.io/managed-by': 'moop-resource-service', 'moop.io/tenant': tenant };

function volume(claimNamespace: string, change: Partial<V1PersistentVolume['spec']> = {}): V1PersistentVolume {
  const { nfsServer, nfsPrefix } = shippedPolicyParams().data!;
  return {
    metadata: { name: `policy-probe-${tenant}`, labels },
    spec: {
      capacity: { storage: '1Mi' },
      accessModes: ['ReadWriteMany'],
      persistentVolumeReclaimPolicy: 'Retain',
      nfs: { server: nfsServer!, path: `${nfsPrefix!.replace(/\/$/, '')}/${claimNamespace}` },
      claimRef: { namespace: claimNamespace, name: `policy-probe-${tenant}` },
      ...change,
    },
  };
}

/** Makes the probe namespace, then waits until each policy refuses what only it refuses. */
export async function waitForPolicies(admin: KubeConfig, service: KubeConfig, waitUntil: WaitUntil): Promise<void> {
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  const objects = KubernetesObjectApi.makeApiClient(admin);
  for (const obj of preparedObjects(tenant, namespace, serviceSubjects())) await objects.create(obj);
  const core = service.makeApiClient(CoreV1Api);
  const dryRun = 'All';
  const probes: [string, () => Promise<unknown>, RegExp][] = [
    ['scope', () => core.createPersistentVolume({ body: volume('default'), dryRun }), /moop-resource-service-scope.*tenant namespaces/],
    [
      'volumes',
      () => core.createPersistentVolume({ body: volume(namespace, { persistentVolumeReclaimPolicy: 'Recycle' }), dryRun }),
      /moop-resource-service-volumes.*kept when its claim goes/,
    ],
    [
      'claims',
      () =>
        core.createNamespacedPersistentVolumeClaim({
          namespace,
          dryRun,
          body: {
            metadata: { name: `policy-probe-${tenant}`, labels },
            spec: { accessModes: ['ReadWriteMany'], storageClassName: '', resources: { requests: { storage: '1Mi' } } },
          },
        }),
      /moop-resource-service-claims.*selects its own volume/,
    ],
    [
      'pods',
      () =>
        core.createNamespacedPod({
          namespace,
          dryRun,
          body: {
            metadata: { name: `policy-probe-${tenant}`, labels },
            spec: { automountServiceAccountToken: false, restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.28.4' }] },
          },
        }),
      /moop-resource-service-pods/,
    ],
  ];
  for (const [policy, probe, refusal] of probes) {
    let answer = '';
    await waitUntil(`the admission policy moop-resource-service-${policy} in force`, async () => {
      try {
        await probe();
        answer = 'accepted';
        return false;
      } catch (err) {
        answer = String((err as { body?: unknown }).body ?? err);
        return refusal.test(answer);
      }
    }).catch((err: Error) => {
      throw new Error(`${err.message.split('\n')[0]} (last answer: ${answer})`);
    });
  }
}
