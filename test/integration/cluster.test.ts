// The local control plane behaves as a real cluster: its controllers bind volumes, run and collect Jobs, finish
// namespace deletion, and RBAC holds the service's account to its role.

import { randomBytes } from 'node:crypto';
import { KubernetesObjectApi, type V1Job, type V1Pod, Watch } from '@kubernetes/client-node';
import { tenants } from '../fixtures/tenants.ts';
import { safeSpec } from '../fixtures/unsafe-pod-specs.ts';
import { admin, eventually, serviceAccount, statusOfCall, until } from '../support/cluster.ts';

const suffix = randomBytes(3).toString('hex');
const namespace = `cluster-test-${suffix}`;
const { core, batch, kc } = admin();

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await core.deletePersistentVolume({ name: `pv-${suffix}` }).catch(() => undefined);
});

describe('the local cluster', () => {
  it('binds a claim to the volume its label selector picks, through the PV controller', async () => {
    await core.createPersistentVolume({
      body: {
        metadata: { name: `pv-${suffix}`, labels: { pv: `pv-${suffix}` } },
        spec: {
          accessModes: ['ReadWriteMany'],
          capacity: { storage: '100Mi' },
          nfs: { server: '10.0.0.2', path: '/exports/x' },
        },
      },
    });
    await core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: {
        metadata: { name: `pvc-${suffix}` },
        spec: {
          accessModes: ['ReadWriteMany'],
          storageClassName: '',
          resources: { requests: { storage: '100Mi' } },
          selector: { matchLabels: { pv: `pv-${suffix}` } },
        },
      },
    });

    const claim = await eventually('the claim to be Bound', async () => {
      const c = await core.readNamespacedPersistentVolumeClaim({ name: `pvc-${suffix}`, namespace });
      return c.status?.phase === 'Bound' ? c : undefined;
    });

    expect(claim.spec?.volumeName).toBe(`pv-${suffix}`);
    const volume = await core.readPersistentVolume({ name: `pv-${suffix}` });
    expect(volume.status?.phase).toBe('Bound');
    expect(volume.spec?.claimRef).toMatchObject({ namespace, name: `pvc-${suffix}` });
  });

  it('runs a Job on a kwok node to completion, then the TTL controller deletes it', async () => {
    const name = `job-${suffix}`;
    const seen: string[] = [];
    const nodes = new Set<string>();
    let onDeleted!: () => void;
    const deleted = new Promise<void>((resolve) => (onDeleted = resolve));
    const jobWatch = await new Watch(kc).watch(
      `/apis/batch/v1/namespaces/${namespace}/jobs`,
      {},
      (type: string, job: V1Job) => {
        if (job.metadata?.name !== name) return;
        if (job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) seen.push('Complete');
        if (type === 'DELETED') onDeleted();
      },
      () => undefined,
    );
    const podWatch = await new Watch(kc).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      {},
      (_type: string, pod: V1Pod) => {
        if (pod.spec?.nodeName) nodes.add(pod.spec.nodeName);
      },
      () => undefined,
    );

    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name },
        spec: {
          ttlSecondsAfterFinished: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'copy', image: 'busybox:1.28.4', args: ['/bin/sh', '-c', 'true'] }],
            },
          },
        },
      },
    });
    await deleted;
    jobWatch.abort();
    podWatch.abort();

    expect(seen).toContain('Complete');
    expect([...nodes].every((n) => n.startsWith('kwok-node-'))).toBe(true);
    expect(nodes.size).toBeGreaterThan(0);
    expect(await statusOfCall(batch.readNamespacedJob({ name, namespace }))).toBe(404);
  });

  it('finishes deleting a namespace that holds objects', async () => {
    const doomed = `doomed-${suffix}`;
    await core.createNamespace({ body: { metadata: { name: doomed } } });
    await core.createNamespacedConfigMap({ namespace: doomed, body: { metadata: { name: 'x' }, data: { a: 'b' } } });

    await core.deleteNamespace({ name: doomed });

    await until(
      'the namespace to disappear',
      async () => (await statusOfCall(core.readNamespace({ name: doomed }))) === 404,
    );
  });
});

describe("the service's least-privilege account", () => {
  const sa = serviceAccount();

  it('can do what the service needs in a tenant namespace: volumes, claims, Jobs, copy Pods, and reading events (attacks: adversarial/)', async () => {
    const tenantNamespace = 'tenant-a';
    const managed = { 'app.kubernetes.io/managed-by': 'moop-resource-service', 'moop.io/tenant': tenants.a.id };
    expect(await statusOfCall(sa.core.listPersistentVolume())).toBe('ok');
    for (const read of [
      () => sa.core.listNamespacedPersistentVolumeClaim({ namespace: tenantNamespace }),
      () => sa.batch.listNamespacedJob({ namespace: tenantNamespace }),
      () => sa.core.listNamespacedPod({ namespace: tenantNamespace }),
      () => sa.core.listNamespacedEvent({ namespace: tenantNamespace }),
    ]) {
      expect(await statusOfCall(read())).toBe('ok');
    }
    const claim = {
      metadata: { name: `sa-claim-${tenants.a.id}-${suffix}`, labels: managed },
      spec: {
        accessModes: ['ReadWriteMany'],
        storageClassName: 'standard',
        resources: { requests: { storage: '1Mi' } },
      },
    };
    expect(
      await statusOfCall(sa.core.createNamespacedPersistentVolumeClaim({ namespace: tenantNamespace, body: claim })),
    ).toBe('ok');
    expect(
      await statusOfCall(
        sa.core.deleteNamespacedPersistentVolumeClaim({
          namespace: tenantNamespace,
          name: `sa-claim-${tenants.a.id}-${suffix}`,
        }),
      ),
    ).toBe('ok');
    // Real MOOP tenant records copy with bare Pods.
    const pod = { metadata: { name: `sa-pod-${tenants.a.id}-${suffix}`, labels: managed }, spec: safeSpec() };
    expect(await statusOfCall(sa.core.createNamespacedPod({ namespace: tenantNamespace, body: pod }))).toBe('ok');
    expect(
      await statusOfCall(
        sa.core.deleteNamespacedPod({
          namespace: tenantNamespace,
          name: `sa-pod-${tenants.a.id}-${suffix}`,
          gracePeriodSeconds: 0,
        }),
      ),
    ).toBe('ok');
  });

  it("reads nothing in a namespace that is not a tenant's", async () => {
    for (const read of [
      () => sa.core.listNamespacedPersistentVolumeClaim({ namespace }),
      () => sa.batch.listNamespacedJob({ namespace }),
      () => sa.core.listNamespacedPod({ namespace }),
      () => sa.core.listNamespacedEvent({ namespace }),
    ]) {
      expect(await statusOfCall(read())).toBe(403);
    }
  });

  it('is refused what it must not do: Secrets, namespaces, other workloads, RBAC', async () => {
    expect(await statusOfCall(sa.core.listSecretForAllNamespaces())).toBe(403);
    expect(await statusOfCall(sa.core.readNamespacedSecret({ name: 'anything', namespace }))).toBe(403);
    expect(await statusOfCall(sa.core.createNamespace({ body: { metadata: { name: `nope-${suffix}` } } }))).toBe(403);
    expect(await statusOfCall(sa.core.deleteNamespace({ name: namespace }))).toBe(403);
    const objects = KubernetesObjectApi.makeApiClient(sa.kc);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    };
    expect(await statusOfCall(objects.create(deployment))).toBe(403);
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'b', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ kind: 'User', name: 'x' }],
    };
    expect(await statusOfCall(objects.create(binding))).toBe(403);
  });
});
