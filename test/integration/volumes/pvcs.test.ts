// /service/v1/volumes/pvcs through serverless-offline against the local cluster.
import { tenants } from '../../fixtures/tenants.ts';
import type { ClaimAnswer } from '../../support/answers.ts';
import { call } from '../../support/api.ts';
import { admin, eventually, statusOfCall, until } from '../../support/cluster.ts';
import { byUserPrefix, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const path = '/service/v1/volumes/pvcs';
const prefix = userPrefix('pvcs');
const tenant = tenants.a.id;
const namespace = 'tenant-a';
const { core } = admin();

afterAll(() => sweep(byUserPrefix(prefix)));

describe('POST, GET and DELETE /service/v1/volumes/pvcs', () => {
  it("creates a matching claim that binds to the same user's volume through the PV controller", async () => {
    const user = `${prefix}alice`;
    const claimName = `pvc-${tenant}-${user}-default`;
    await call('POST', '/service/v1/volumes/pvs', { body: { tenant, username: user, path: 'tenant-a/alice' } });

    const created = await call('POST', path, { body: { tenant, username: user, match: true } });

    expect(created).toEqual({
      status: 201,
      body: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          name: claimName,
          namespace,
          uid: expect.any(String),
          resourceVersion: expect.any(String),
          creationTimestamp: expect.any(String),
          finalizers: ['kubernetes.io/pvc-protection'],
          labels: {
            'app.kubernetes.io/managed-by': 'moop-resource-service',
            'moop.io/tenant': tenant,
            'moop.io/user': user,
            'moop.io/tag': 'default',
          },
          annotations: { 'moop.io/tenant': tenant, 'moop.io/user': user, 'moop.io/tag': 'default' },
        },
        spec: {
          accessModes: ['ReadWriteMany'],
          storageClassName: '',
          resources: { requests: { storage: '100Mi' } },
          // Its own volume, and only a volume the service made for this tenant: never an operator's, or an old one not
          // adopted.
          selector: {
            matchLabels: {
              pv: `pv-${tenant}-${user}-default`,
              'app.kubernetes.io/managed-by': 'moop-resource-service',
              'moop.io/tenant': tenant,
            },
          },
          volumeMode: 'Filesystem',
        },
        status: { phase: 'Pending' },
      },
    });
    const bound = await eventually('the claim to be Bound', async () => {
      const answer = await call<ClaimAnswer>('GET', path, { query: { tenant, username: user } });
      return answer.body.status?.phase === 'Bound' ? answer : undefined;
    });
    expect(bound.status).toBe(200);
    expect(bound.body.spec?.volumeName).toBe(`pv-${tenant}-${user}-default`);
    expect(bound.body).not.toHaveProperty('pendingReason');
  });

  it('says why a claim is not bound, beside the claim as the API server gave it: a storage class that does not exist', async () => {
    const user = `${prefix}bob`;
    await call('POST', path, { body: { tenant, username: user } });

    const answer = await call<ClaimAnswer>('GET', path, { query: { tenant, username: user } });

    const { pendingReason, ...claim } = answer.body;
    expect(pendingReason).toEqual({
      phase: 'Pending',
      reason: 'StorageClassNotFound',
      message:
        'The claim asks for storage class "standard", which does not exist in the cluster: no volume can be provisioned for it.',
    });
    const inCluster = await core.readNamespacedPersistentVolumeClaim({
      name: `pvc-${tenant}-${user}-default`,
      namespace,
    });
    expect(claim.metadata.uid).toBe(inCluster.metadata?.uid);
    expect(claim.spec?.storageClassName).toBe('standard');
    expect(claim.status).toEqual({ phase: 'Pending' });
  });

  it('says so when a matching claim finds no volume', async () => {
    const user = `${prefix}carol`;
    await call('POST', path, { body: { tenant, username: user, match: true } });

    const answer = await call<ClaimAnswer>('GET', path, { query: { tenant, username: user } });

    expect(answer.body.pendingReason).toEqual({
      phase: 'Pending',
      reason: 'VolumeNotFound',
      message: `The claim selects volume pv-${tenant}-${user}-default, which does not exist: create it with POST /service/v1/volumes/pvs.`,
    });
  });

  describe('with a storage class whose provisioner never answers', () => {
    const storageClass = `slow-${prefix.slice(-7, -1)}`;
    beforeAll(() =>
      admin().storage.createStorageClass({
        body: { metadata: { name: storageClass }, provisioner: 'example.com/nobody' },
      }),
    );
    afterAll(() => admin().storage.deleteStorageClass({ name: storageClass }));

    it("says why in the volume controller's own words, from its latest event", async () => {
      const user = `${prefix}erin`;
      const claimName = `pvc-${tenant}-${user}-default`;
      await core.createNamespacedPersistentVolumeClaim({
        namespace,
        body: {
          metadata: {
            name: claimName,
            labels: {
              'app.kubernetes.io/managed-by': 'moop-resource-service',
              'moop.io/tenant': tenant,
              'moop.io/user': user,
              'moop.io/tag': 'default',
            },
            annotations: { 'moop.io/tenant': tenant, 'moop.io/user': user, 'moop.io/tag': 'default' },
          },
          spec: {
            accessModes: ['ReadWriteMany'],
            storageClassName: storageClass,
            resources: { requests: { storage: '1Mi' } },
          },
        },
      });

      const answer = await eventually('an event about the claim', async () => {
        const a = await call<ClaimAnswer>('GET', path, { query: { tenant, username: user } });
        return a.body.pendingReason?.reason !== 'NoEvents' ? a : undefined;
      });

      expect(answer.body.pendingReason).toEqual({
        phase: 'Pending',
        reason: 'ExternalProvisioning',
        message: expect.stringContaining(
          "Waiting for a volume to be created either by the external provisioner 'example.com/nobody'",
        ),
        lastSeen: expect.any(String),
      });
    });
  });

  it('refuses a second claim for the same user and tag, changing nothing', async () => {
    const user = `${prefix}dave`;
    const first = await call<ClaimAnswer>('POST', path, { body: { tenant, username: user, match: true } });

    const second = await call('POST', path, { body: { tenant, username: user } });

    const name = `pvc-${tenant}-${user}-default`;
    expect(second).toEqual({
      status: 409,
      body: {
        error: `PersistentVolumeClaim ${namespace}/${name} already exists for tenant ${tenant}, user ${user}, tag default.`,
        code: 'ALREADY_EXISTS',
        details: { name },
      },
    });
    const inCluster = await core.readNamespacedPersistentVolumeClaim({ name, namespace });
    expect(inCluster.metadata?.uid).toBe(first.body.metadata.uid);
    expect(inCluster.spec?.storageClassName).toBe('');
  });

  it('refuses to delete a claim a pod still mounts, naming the pod, unless forced', async () => {
    const user = `${prefix}erin`;
    const name = `pvc-${tenant}-${user}-default`;
    await call('POST', path, { body: { tenant, username: user } });
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: `${prefix}notebook` },
        spec: {
          containers: [
            {
              name: 'notebook',
              image: 'jupyter/base-notebook',
              volumeMounts: [{ name: 'home', mountPath: '/home/jovyan' }],
            },
          ],
          volumes: [{ name: 'home', persistentVolumeClaim: { claimName: name } }],
        },
      },
    });
    try {
      expect(await call('DELETE', path, { query: { tenant, username: user } })).toEqual({
        status: 409,
        body: {
          error: `Claim ${name} is still mounted by pod(s) ${prefix}notebook; delete them first or pass force=true.`,
          code: 'CLAIM_IN_USE',
          details: { pods: [`${prefix}notebook`] },
        },
      });
      expect(await statusOfCall(core.readNamespacedPersistentVolumeClaim({ name, namespace }))).toBe('ok');

      expect(await call('DELETE', path, { query: { tenant, username: user, force: 'true' } })).toEqual({
        status: 200,
        body: { deleted: name },
      });
      // Deleted, or held by the pvc-protection finalizer until the pod lets go, as Kubernetes decides.
      const after = await core
        .readNamespacedPersistentVolumeClaim({ name, namespace })
        .catch((err: { code?: number }) => err.code);
      expect(after === 404 || (typeof after === 'object' && !!after.metadata?.deletionTimestamp)).toBe(true);
    } finally {
      await core.deleteNamespacedPod({ name: `${prefix}notebook`, namespace, gracePeriodSeconds: 0 });
    }
    await until(
      'the claim to go once no pod uses it',
      async () => (await statusOfCall(core.readNamespacedPersistentVolumeClaim({ name, namespace }))) === 404,
    );
  });

  it('deletes an unused claim, after which it is not found', async () => {
    const user = `${prefix}frank`;
    await call('POST', path, { body: { tenant, username: user } });

    expect(await call('DELETE', path, { query: { tenant, username: user } })).toEqual({
      status: 200,
      body: { deleted: `pvc-${tenant}-${user}-default` },
    });
    await until(
      'the claim to be gone',
      async () => (await call('GET', path, { query: { tenant, username: user } })).status === 404,
    );
    expect(await call('DELETE', path, { query: { tenant, username: user } })).toEqual({
      status: 404,
      body: {
        error: `No PersistentVolumeClaim ${namespace}/pvc-${tenant}-${user}-default for tenant ${tenant}, user ${user}, tag default.`,
        code: 'OBJECT_NOT_FOUND',
      },
    });
  });

  it('puts the claims of a tenant whose namespace is null in the namespace named by its id', async () => {
    const user = `${prefix}gina`;
    const created = await call<ClaimAnswer>('POST', path, {
      body: { tenant: tenants.idAsNamespace.id, username: user },
    });

    expect(created.status).toBe(201);
    expect(created.body.metadata.namespace).toBe(tenants.idAsNamespace.id);
  });
});
