// What a volume and a claim hold, not only who makes them: with the service's own credential (as if stolen), straight
// at the API server, every way a volume could reach beyond its school's NFS folder, be wiped by the cluster's own
// controllers, or a claim bind a volume not reserved for it, and every read outside the tenants' namespaces, refused.
import { randomBytes } from 'node:crypto';
import { type KubernetesObject, PatchStrategy } from '@kubernetes/client-node';
import { safeSpec } from '../../fixtures/unsafe-pod-specs.ts';
import {
  attempt,
  claimFor,
  layers,
  marks,
  nfsVolume,
  ofNamespaces,
  pod,
  prepareNamespace,
  refusedBy,
  refusedByAny,
  schoolId,
  stolen,
} from '../../support/attacks.ts';
import { admin, eventually, serviceAccount } from '../../support/cluster.ts';
import { sweep } from '../../support/managed.ts';

const suffix = randomBytes(3).toString('hex');
const school = schoolId();
const otherSchool = schoolId();
const ns = `ct-${suffix}`;
const otherNs = `ct-other-${suffix}`;
const plainNs = `ct-plain-${suffix}`;
const { core } = admin();
const service = stolen();
const mine = marks(school);
const folder = `/exports/moop/${ns}`;
const operatorPv = `ct-operator-pv-${suffix}`;

beforeAll(async () => {
  await prepareNamespace(school, ns);
  await prepareNamespace(otherSchool, otherNs);
  await core.createNamespace({ body: { metadata: { name: plainNs } } });
  // An operator's own volume on the node's disk, Available to any claim that fits: what no MOOP claim may ever bind.
  await core.createPersistentVolume({
    body: {
      metadata: { name: operatorPv, labels: { pv: 'operator' } },
      spec: {
        accessModes: ['ReadWriteMany'],
        capacity: { storage: '5Gi' },
        hostPath: { path: '/var/lib' },
        storageClassName: '',
      },
    },
  });
});

afterAll(async () => {
  await sweep(ofNamespaces(ns, otherNs));
  for (const name of [ns, otherNs, plainNs]) await core.deleteNamespace({ name }).catch(() => undefined);
  await core.deletePersistentVolume({ name: operatorPv }).catch(() => undefined);
});

const mergePatch = (obj: object) =>
  service.patch(obj as KubernetesObject, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);

describe("a volume holds only MOOP's NFS, in its school's folder, and is kept when its claim goes", () => {
  it('a volume as the service makes one is made', async () => {
    expect(await attempt(service.create(nfsVolume(ns, `${folder}/alice`, mine)))).toEqual({ made: true });
    expect(await attempt(service.create(nfsVolume(ns, folder, mine)))).toEqual({ made: true });
  });

  it.each([
    [
      'Recycle: the controller manager would run `find /scrub -mindepth 1 -delete` on its path',
      { persistentVolumeReclaimPolicy: 'Recycle' },
    ],
    ['Delete: handed to a deleter when the claim goes', { persistentVolumeReclaimPolicy: 'Delete' }],
    ['the NFS root, every school at once', { nfs: { server: '10.0.0.2', path: '/exports/moop' } }],
    ['the root of all NFS', { nfs: { server: '10.0.0.2', path: '/' } }],
    ["another school's folder", { nfs: { server: '10.0.0.2', path: `/exports/moop/${otherNs}/bob` } }],
    ['a folder beside its own', { nfs: { server: '10.0.0.2', path: `${folder}-evil` } }],
    ['a path that climbs out of its folder', { nfs: { server: '10.0.0.2', path: `${folder}/../${otherNs}` } }],
    ['a path outside the prefix', { nfs: { server: '10.0.0.2', path: '/etc' } }],
    ['a foreign NFS server', { nfs: { server: 'nfs.attacker.example', path: `${folder}/alice` } }],
    ['a mount option naming another address', { mountOptions: ['addr=203.0.113.9'] }],
    [
      'a CSI volume with a secret of kube-system',
      {
        nfs: undefined,
        csi: {
          driver: 'x.csi.k8s.io',
          volumeHandle: 'h',
          nodePublishSecretRef: { name: 'x', namespace: 'kube-system' },
        },
      },
    ],
    [
      'an iSCSI volume',
      { nfs: undefined, iscsi: { targetPortal: '203.0.113.9:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0 } },
    ],
    [
      'a CephFS volume with a secret',
      {
        nfs: undefined,
        cephfs: { monitors: ['203.0.113.9:6789'], secretRef: { name: 'x', namespace: 'kube-system' } },
      },
    ],
    ['an RBD volume', { nfs: undefined, rbd: { monitors: ['203.0.113.9:6789'], image: 'i' } }],
    ['a flexVolume driver', { nfs: undefined, flexVolume: { driver: 'attacker/driver' } }],
    ['a hostPath', { nfs: undefined, hostPath: { path: '/' } }],
  ])('a volume on %s is refused by the admission policy', async (_what, change) => {
    expect(await attempt(service.create(nfsVolume(ns, `${folder}/alice`, mine, change)))).toEqual(
      refusedBy(layers.volumes),
    );
  });

  it.each([
    ['kube-system', 'kube-system'],
    ['default', 'default'],
    ['moop-system', 'moop-system'],
  ])('a volume reserved for a claim in %s is refused', async (_what, namespace) => {
    expect(await attempt(service.create(nfsVolume(namespace, `/exports/moop/${namespace}`, mine)))).toEqual(
      refusedBy(layers.scope),
    );
  });

  it.each([
    ["JupyterHub's own claim, hub-db-dir: made before it, the volume would capture it", 'hub-db-dir'],
    ["a student's KubeSpawner claim", 'claim-bob'],
  ])('a volume reserved for %s is refused: only claims named with the tenant id', async (_what, name) => {
    const volume = nfsVolume(ns, `${folder}/alice`, mine);
    volume.spec.claimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name };
    expect(await attempt(service.create(volume))).toEqual(refusedBy(layers.scope));
  });

  it.each([
    [
      'NFS mount options by annotation (another address and port)',
      { annotations: { 'volume.beta.kubernetes.io/mount-options': 'mountaddr=203.0.113.9,port=2050' } },
    ],
    [
      'an owner the garbage collector would delete it with',
      {
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Namespace', name: ns, uid: '00000000-0000-0000-0000-000000000001' },
        ],
      },
    ],
  ])('a volume with %s is refused', async (_what, metadata) => {
    const volume = nfsVolume(ns, `${folder}/alice`, mine);
    expect(await attempt(service.create({ ...volume, metadata: { ...volume.metadata, ...metadata } }))).toEqual(
      refusedBy(layers.scope),
    );
  });

  it('a volume reserved for no claim (any claim that fits could bind it) is refused', async () => {
    expect(await attempt(service.create(nfsVolume(ns, `${folder}/alice`, mine, { claimRef: undefined })))).toEqual(
      refusedByAny(layers.scope, layers.volumes),
    );
  });

  it("a volume reserved in another school's namespace, or in one nobody prepared, is refused", async () => {
    expect(await attempt(service.create(nfsVolume(otherNs, `/exports/moop/${otherNs}/bob`, mine)))).toEqual(
      refusedBy(layers.scope),
    );
    expect(await attempt(service.create(nfsVolume(plainNs, `/exports/moop/${plainNs}`, mine)))).toEqual(
      refusedBy(layers.scope),
    );
  });

  describe('changed after it was made', () => {
    let made: KubernetesObject & { spec: Record<string, unknown> };
    beforeAll(async () => {
      made = nfsVolume(ns, `${folder}/carol`, mine);
      await service.create(made);
    });
    const named = (change: { metadata?: object; spec?: object }) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { ...change.metadata, name: made.metadata!.name },
      ...(change.spec ? { spec: change.spec } : {}),
    });

    it.each([
      ['to Recycle', { spec: { persistentVolumeReclaimPolicy: 'Recycle' } }, layers.volumes],
      ['to Delete', { spec: { persistentVolumeReclaimPolicy: 'Delete' } }, layers.volumes],
      [
        're-pointed at a claim of the same namespace',
        { spec: { claimRef: { name: 'someone-elses-claim' } } },
        layers.volumes,
      ],
      [
        "re-pointed at another school's namespace",
        { spec: { claimRef: { namespace: otherNs } } },
        [layers.scope, layers.volumes],
      ],
      ['unreserved', { spec: { claimRef: null } }, [layers.scope, layers.volumes]],
      [
        'bound to a claim uid it never had',
        { spec: { claimRef: { uid: '00000000-0000-0000-0000-000000000000' } } },
        layers.volumes,
      ],
      [
        'given to another school (its tenant label)',
        { metadata: { labels: { 'moop.io/tenant': otherSchool } } },
        [layers.scope, layers.volumes],
      ],
      [
        'given to another user (its annotations)',
        { metadata: { annotations: { 'moop.io/user': 'mallory' } } },
        layers.volumes,
      ],
      ['given a pv label another claim selects', { metadata: { labels: { pv: 'pv-victim' } } }, layers.volumes],
      ['grown', { spec: { capacity: { storage: '100Gi' } } }, layers.volumes],
      [
        'given an owner the garbage collector deletes it with',
        {
          metadata: {
            ownerReferences: [
              { apiVersion: 'v1', kind: 'Namespace', name: ns, uid: '00000000-0000-0000-0000-000000000001' },
            ],
          },
        },
        layers.volumes,
      ],
      ['reserved for a field of its claim', { spec: { claimRef: { fieldPath: 'spec' } } }, layers.volumes],
    ])('a volume %s is refused', async (_what, change, layer) => {
      expect(await attempt(mergePatch(named(change)))).toEqual(
        Array.isArray(layer) ? refusedByAny(...layer) : refusedBy(layer),
      );
    });

    it('keeps what it was', async () => {
      const now = await core.readPersistentVolume({ name: made.metadata!.name! });
      expect([
        now.spec?.persistentVolumeReclaimPolicy,
        now.spec?.nfs,
        now.spec?.claimRef?.namespace,
        now.metadata?.labels,
      ]).toEqual(['Retain', { server: '10.0.0.2', path: `${folder}/carol` }, ns, mine]);
    });
  });
});

describe('a claim binds only the volume reserved for it', () => {
  it('a match claim as the service makes one is made', async () => {
    const own = { pv: 'pv-own', ...mine };
    expect(
      await attempt(service.create(claimFor(ns, mine, { storageClassName: '', selector: { matchLabels: own } }))),
    ).toEqual({ made: true });
    expect(await attempt(service.create(claimFor(ns, mine, { storageClassName: 'standard' })))).toEqual({ made: true });
  });

  it.each([
    ["naming an operator's volume", { storageClassName: 'standard', volumeName: operatorPv }],
    ['of no storage class and no selector: any volume that fits', { storageClassName: '' }],
    ['with no storage class at all', {}],
    [
      "selecting by the pv label alone (an old service's volume, not yet adopted)",
      { storageClassName: '', selector: { matchLabels: { pv: 'operator' } } },
    ],
    [
      "selecting another school's volumes",
      {
        storageClassName: '',
        selector: {
          matchLabels: {
            pv: 'x',
            'app.kubernetes.io/managed-by': 'moop-resource-service',
            'moop.io/tenant': otherSchool,
          },
        },
      },
    ],
    [
      'filled from another claim (hub-db-dir)',
      { storageClassName: 'standard', dataSource: { kind: 'PersistentVolumeClaim', name: 'hub-db-dir' } },
    ],
    [
      'filled from a snapshot',
      {
        storageClassName: 'standard',
        dataSourceRef: { kind: 'VolumeSnapshot', name: 's', apiGroup: 'snapshot.storage.k8s.io' },
      },
    ],
    ['of a storage class the operator does not allow', { storageClassName: 'node-local' }],
    ['given a volume attributes class', { storageClassName: 'standard', volumeAttributesClassName: 'fast' }],
  ])('a claim %s is refused by the admission policy', async (_what, spec) => {
    expect(await attempt(service.create(claimFor(ns, mine, spec)))).toEqual(refusedBy(layers.claims));
  });

  it.each([
    ['no storage class by the annotation the volume controller reads first', ''],
    ['a class the operator does not allow, by that annotation', 'node-local'],
  ])('a claim asking for %s is refused', async (_what, storageClass) => {
    const claim = claimFor(ns, mine, { storageClassName: 'standard' });
    const annotated = {
      ...claim,
      metadata: { ...claim.metadata, annotations: { 'volume.beta.kubernetes.io/storage-class': storageClass } },
    };
    expect(await attempt(service.create(annotated))).toEqual(refusedBy(layers.scope));
  });

  it("the operator's volume stays unbound", async () => {
    expect((await core.readPersistentVolume({ name: operatorPv })).spec?.claimRef).toBeUndefined();
  });

  it("is no idle rule: a claim of no storage class binds an operator's volume on the node by size alone", async () => {
    const [name, volume] = [`ct-admin-claim-${suffix}`, `ct-operator-pv-2-${suffix}`];
    await core.createPersistentVolume({
      body: {
        metadata: { name: volume },
        spec: {
          accessModes: ['ReadWriteMany'],
          capacity: { storage: '2Gi' },
          hostPath: { path: '/var/lib' },
          storageClassName: '',
        },
      },
    });
    await core.createNamespacedPersistentVolumeClaim({
      namespace: plainNs,
      body: {
        metadata: { name },
        spec: { accessModes: ['ReadWriteMany'], storageClassName: '', resources: { requests: { storage: '2Gi' } } },
      },
    });
    const bound = await eventually('the unselective claim to bind', async () => {
      const c = await core.readNamespacedPersistentVolumeClaim({ name, namespace: plainNs });
      return c.status?.phase === 'Bound' ? c.spec?.volumeName : undefined;
    });
    expect(bound).toBe(volume);
    await core.deleteNamespacedPersistentVolumeClaim({ name, namespace: plainNs });
    await core.deletePersistentVolume({ name: volume });
  });
});

describe('one school cannot reach another, even through a shared or named namespace', () => {
  const theirs = marks(otherSchool);

  it.each([
    ['a claim', () => claimFor(ns, theirs, { storageClassName: 'standard' })],
    ['a copy', () => pod(ns, safeSpec(), theirs)],
    ['a volume', () => nfsVolume(ns, `${folder}/x`, theirs)],
  ])("%s of another school in this school's namespace is refused", async (_what, make) => {
    expect(await attempt(service.create(make()))).toEqual(refusedBy(layers.scope));
  });
});

describe("reads stay in tenants' namespaces", () => {
  const reader = serviceAccount();

  it("reads pods, claims, Jobs and events of a tenant's namespace, and volumes and namespaces cluster-wide", async () => {
    expect(await attempt(reader.core.listNamespacedPod({ namespace: ns }))).toEqual({ made: true });
    expect(await attempt(reader.core.listNamespacedPersistentVolumeClaim({ namespace: ns }))).toEqual({ made: true });
    expect(await attempt(reader.batch.listNamespacedJob({ namespace: ns }))).toEqual({ made: true });
    expect(await attempt(reader.core.listNamespacedEvent({ namespace: ns }))).toEqual({ made: true });
    expect(await attempt(reader.core.listPersistentVolume())).toEqual({ made: true });
    expect(await attempt(reader.core.listNamespace({ labelSelector: 'moop.io/tenant' }))).toEqual({ made: true });
  });

  it("never reads another app's pod, with its plaintext password, outside the tenants' namespaces", async () => {
    await core.createNamespacedPod({
      namespace: plainNs,
      body: {
        metadata: { name: 'billing' },
        spec: { containers: [{ name: 'app', image: 'billing:1', env: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }] },
      },
    });
    expect(await attempt(reader.core.readNamespacedPod({ name: 'billing', namespace: plainNs }))).toEqual(
      refusedBy(layers.rbac),
    );
    expect(await attempt(reader.core.listPodForAllNamespaces())).toEqual(refusedBy(layers.rbac));
  });

  it.each([
    ['pods of kube-system', () => reader.core.listNamespacedPod({ namespace: 'kube-system' })],
    ['claims of every namespace', () => reader.core.listPersistentVolumeClaimForAllNamespaces()],
    ['Jobs of every namespace', () => reader.batch.listJobForAllNamespaces()],
    ['events of every namespace', () => reader.core.listEventForAllNamespaces()],
    ["a tenant's Secrets", () => reader.core.listNamespacedSecret({ namespace: ns })],
    ["a tenant's ConfigMaps (the hub's configuration)", () => reader.core.listNamespacedConfigMap({ namespace: ns })],
  ])('never reads %s', async (_what, read) => {
    expect(await attempt(read())).toEqual(refusedBy(layers.rbac));
  });
});
