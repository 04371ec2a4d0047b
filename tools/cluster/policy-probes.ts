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
  for (const probe of probes(service.makeApiClient(CoreV1Api))) await untilRefused(probe, waitUntil);
}

/** What a policy refuses, asked with a dry run. */
interface Probe {
  policy: string;
  ask: () => Promise<unknown>;
  refusal: RegExp;
}

/** One thing per policy that only it refuses, asked with the service's own token. */
function probes(core: CoreV1Api): Probe[] {
  const dryRun = 'All';
  const metadata = { name: `policy-probe-${tenant}`, labels };
  const claim = { accessModes: ['ReadWriteMany'], storageClassName: '', resources: { requests: { storage: '1Mi' } } };
  const pod = {
    automountServiceAccountToken: false,
    restartPolicy: 'Never',
    containers: [{ name: 'c', image: 'busybox:1.28.4' }],
  };
  return [
    {
      policy: 'scope',
      ask: () => core.createPersistentVolume({ body: volume('default'), dryRun }),
      refusal: /moop-resource-service-scope.*tenant namespaces/,
    },
    {
      policy: 'volumes',
      ask: () =>
        core.createPersistentVolume({ body: volume(namespace, { persistentVolumeReclaimPolicy: 'Recycle' }), dryRun }),
      refusal: /moop-resource-service-volumes.*kept when its claim goes/,
    },
    {
      policy: 'claims',
      ask: () => core.createNamespacedPersistentVolumeClaim({ namespace, dryRun, body: { metadata, spec: claim } }),
      refusal: /moop-resource-service-claims.*selects its own volume/,
    },
    {
      policy: 'pods',
      ask: () => core.createNamespacedPod({ namespace, dryRun, body: { metadata, spec: pod } }),
      refusal: /moop-resource-service-pods/,
    },
  ];
}

/** Waits until the probe's policy refuses it; a timeout says what the API server last answered. */
async function untilRefused({ policy, ask, refusal }: Probe, waitUntil: WaitUntil): Promise<void> {
  let answer = '';
  await waitUntil(`the admission policy moop-resource-service-${policy} in force`, async () => {
    try {
      await ask();
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
