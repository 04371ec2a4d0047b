// /service/v1/volumes/students through serverless-offline against the local cluster: one student's volume and match
// claim made, bound by the real PV controller, kept, refused and removed together. The tenant is one whose copies are
// never scheduled: kwok finishes any other copy at once, and a copy that still mounts the claim is what DELETE must see.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { tenantFolder, tenants } from '../../fixtures/tenants.ts';
import type { ClaimAnswer, CopyAnswer, VolumeAnswer } from '../../support/answers.ts';
import { call } from '../../support/api.ts';
import { admin, statusOfCall, until } from '../../support/cluster.ts';
import { byUserPrefix, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const path = '/service/v1/volumes/students';
const prefix = userPrefix('students');
const tenant = tenants.neverScheduled.id;
const namespace = tenants.neverScheduled.namespace!;
const { core } = admin();
const copies: string[] = [];
const foreign: string[] = [];
const quotaName = `${prefix}claims`;

afterAll(async () => {
  for (const name of copies) await call('DELETE', '/service/v1/pods', { query: { tenant, name } });
  for (const name of foreign)
    await core.deleteNamespacedPersistentVolumeClaim({ name, namespace }).catch(() => undefined);
  await core.deleteNamespacedResourceQuota({ name: quotaName, namespace }).catch(() => undefined);
  await sweep(byUserPrefix(prefix));
});

interface Provisioned {
  status: 'created' | 'existing';
  bound: boolean;
  volume: VolumeAnswer;
  claim: ClaimAnswer;
}

const volumeName = (user: string) => `pv-${tenant}-${user}-default`;
const claimName = (user: string) => `pvc-${tenant}-${user}-default`;
const owner = (user: string) => ({ 'moop.io/tenant': tenant, 'moop.io/user': user, 'moop.io/tag': 'default' });
const marks = (user: string) => ({ 'app.kubernetes.io/managed-by': 'moop-resource-service', ...owner(user) });
const timestamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

/** The student's volume as the API server answers it once the PV controller has bound it to the match claim. */
const boundVolume = (user: string, folder: string) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: {
    name: volumeName(user),
    uid: expect.any(String),
    resourceVersion: expect.any(String),
    creationTimestamp: timestamp,
    finalizers: ['kubernetes.io/pv-protection'],
    labels: { pv: volumeName(user), ...marks(user) },
    annotations: owner(user),
  },
  spec: {
    accessModes: ['ReadWriteMany'],
    capacity: { storage: '100Mi' },
    nfs: { server: '10.0.0.2', path: `/exports/moop/${namespace}/${folder}` },
    claimRef: {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      namespace,
      name: claimName(user),
      uid: expect.any(String),
      resourceVersion: expect.any(String),
    },
    persistentVolumeReclaimPolicy: 'Retain',
    volumeMode: 'Filesystem',
  },
  status: { phase: 'Bound', lastPhaseTransitionTime: timestamp },
});

/** The student's match claim, Bound to their volume. */
const boundClaim = (user: string) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: {
    name: claimName(user),
    namespace,
    uid: expect.any(String),
    resourceVersion: expect.any(String),
    creationTimestamp: timestamp,
    finalizers: ['kubernetes.io/pvc-protection'],
    labels: marks(user),
    annotations: {
      ...owner(user),
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
    },
  },
  spec: {
    accessModes: ['ReadWriteMany'],
    resources: { requests: { storage: '100Mi' } },
    selector: {
      matchLabels: {
        pv: volumeName(user),
        'app.kubernetes.io/managed-by': 'moop-resource-service',
        'moop.io/tenant': tenant,
      },
    },
    storageClassName: '',
    volumeMode: 'Filesystem',
    volumeName: volumeName(user),
  },
  status: { phase: 'Bound', accessModes: ['ReadWriteMany'], capacity: { storage: '100Mi' } },
});

const provision = (user: string, folder = user, wait = 15) =>
  call<Provisioned>('POST', path, {
    body: { tenant, username: user, path: tenantFolder(tenant, folder), wait },
  });

/** Claims of the namespace, the service's and anyone else's: what a quota on persistentvolumeclaims counts. */
const claimsInNamespace = async () => (await core.listNamespacedPersistentVolumeClaim({ namespace })).items.length;

describe('POST /service/v1/volumes/students', () => {
  const user = `${prefix}alice`;

  it("makes the student's volume and match claim and answers 201 once the PV controller has bound them", async () => {
    const answer = await provision(user);

    expect(answer).toEqual({
      status: 201,
      body: { status: 'created', bound: true, volume: boundVolume(user, user), claim: boundClaim(user) },
    });
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: claimName(user), namespace });
    expect([claim.metadata?.uid, claim.status?.phase, claim.spec?.volumeName]).toEqual([
      answer.body.claim.metadata.uid,
      'Bound',
      volumeName(user),
    ]);
    const volume = await core.readPersistentVolume({ name: volumeName(user) });
    expect([volume.metadata?.uid, volume.spec?.claimRef?.uid]).toEqual([
      answer.body.volume.metadata.uid,
      claim.metadata?.uid,
    ]);
  });

  it('answers the same student again as existing (200), the same objects, changing nothing', async () => {
    const [volume, claim] = await Promise.all([
      core.readPersistentVolume({ name: volumeName(user) }),
      core.readNamespacedPersistentVolumeClaim({ name: claimName(user), namespace }),
    ]);

    const again = await provision(user);

    expect(again).toEqual({
      status: 200,
      body: { status: 'existing', bound: true, volume: boundVolume(user, user), claim: boundClaim(user) },
    });
    const versions = (...objects: { metadata?: { uid?: string; resourceVersion?: string } }[]) =>
      objects.map((o) => [o.metadata?.uid, o.metadata?.resourceVersion]);
    expect(versions(again.body.volume, again.body.claim)).toEqual(versions(volume, claim));
  });

  it('refuses the student at another path (409), moving nothing and making nothing', async () => {
    const before = await core.readPersistentVolume({ name: volumeName(user) });

    const elsewhere = await provision(user, 'elsewhere');

    expect(elsewhere).toEqual({
      status: 409,
      body: {
        error: `The volume of tenant ${tenant}, user ${user}, tag default, ${volumeName(user)}, exists at /exports/moop/${namespace}/${user}, not /exports/moop/${namespace}/elsewhere; nothing was changed.`,
        code: 'ALREADY_EXISTS',
        details: { name: volumeName(user), path: `/exports/moop/${namespace}/${user}` },
      },
    });
    const after = await core.readPersistentVolume({ name: volumeName(user) });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it("refuses a student whose claim's name another's claim holds (409 NAME_TAKEN), leaving no volume", async () => {
    const bob = `${prefix}bob`;
    foreign.push(claimName(bob));
    const theirs = await core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: {
        metadata: { name: claimName(bob) },
        spec: {
          accessModes: ['ReadWriteMany'],
          storageClassName: 'no-such-class',
          resources: { requests: { storage: '1Mi' } },
        },
      },
    });

    expect(await provision(bob)).toEqual({
      status: 409,
      body: {
        error: `The claim ${claimName(bob)} this volume would be reserved for is another tenant's, user's or tag's; nothing was made.`,
        code: 'NAME_TAKEN',
        details: { name: claimName(bob) },
      },
    });
    expect(await statusOfCall(core.readPersistentVolume({ name: volumeName(bob) }))).toBe(404);
    // Theirs as it was (not its resourceVersion: the PV controller notes a Pending claim in its own time).
    const still = await core.readNamespacedPersistentVolumeClaim({ name: claimName(bob), namespace });
    const state = (c: V1PersistentVolumeClaim) => [
      c.metadata?.uid,
      c.metadata?.labels,
      c.metadata?.deletionTimestamp,
      c.spec,
    ];
    expect(state(still)).toEqual(state(theirs));
  });

  it("removes the volume it made when the namespace's quota refuses the claim (409 QUOTA_EXCEEDED)", async () => {
    const carol = `${prefix}carol`;
    const used = await claimsInNamespace();
    await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: quotaName }, spec: { hard: { persistentvolumeclaims: String(used) } } },
    });
    try {
      // The API server refuses every claim while the quota controller has not yet counted what is there.
      await until(
        'the quota to be counted',
        async () =>
          (await core.readNamespacedResourceQuota({ name: quotaName, namespace })).status?.used
            ?.persistentvolumeclaims === String(used),
      );

      expect(await provision(carol)).toEqual({
        status: 409,
        body: {
          error: expect.stringMatching(
            new RegExp(`^The tenant's namespace has used up a quota: .*exceeded quota: ${quotaName}`),
          ),
          code: 'QUOTA_EXCEEDED',
        },
      });
    } finally {
      await core.deleteNamespacedResourceQuota({ name: quotaName, namespace });
    }
    // Deleted, and gone once the PV protection controller has let it go (it was never bound).
    await until('the volume made to be gone', async () => {
      return (await statusOfCall(core.readPersistentVolume({ name: volumeName(carol) }))) === 404;
    });
    expect(await statusOfCall(core.readNamespacedPersistentVolumeClaim({ name: claimName(carol), namespace }))).toBe(
      404,
    );
  });
});

describe('DELETE /service/v1/volumes/students', () => {
  const user = `${prefix}dave`;

  /** A copy of the tenant (never scheduled, so never finished) that mounts claim. */
  async function copyMounting(claim: string): Promise<string> {
    const copy = await call<CopyAnswer>('POST', '/service/v1/pods', {
      body: { tenant, cmd: 'ls /home', vols: [{ pvc: claim, mount: '/home', subpath: '' }] },
    });
    expect(copy.status).toBe(201);
    copies.push(copy.body.metadata.name);
    return copy.body.metadata.name;
  }

  it('refuses while a copy mounts the claim (409 CLAIM_IN_USE, naming it), removing nothing', async () => {
    expect((await provision(user)).status).toBe(201);
    const copy = await copyMounting(claimName(user));

    expect(await call('DELETE', path, { query: { tenant, username: user } })).toEqual({
      status: 409,
      body: {
        error: `Claim ${claimName(user)} is still mounted by pod(s) ${copy}; delete them first or pass force=true.`,
        code: 'CLAIM_IN_USE',
        details: { pods: [copy] },
      },
    });
    const [claim, volume] = await Promise.all([
      core.readNamespacedPersistentVolumeClaim({ name: claimName(user), namespace }),
      core.readPersistentVolume({ name: volumeName(user) }),
    ]);
    expect([claim.metadata?.deletionTimestamp, volume.metadata?.deletionTimestamp]).toEqual([undefined, undefined]);
  });

  it('removes the claim, then the volume, when forced while the copy still mounts it', async () => {
    expect(await call('DELETE', path, { query: { tenant, username: user, force: 'true' } })).toEqual({
      status: 200,
      body: { claim: claimName(user), volume: volumeName(user) },
    });
    // Asked to go: Kubernetes' protection finalizers hold them while the copy exists.
    const deleting = (o: V1PersistentVolumeClaim | number) => typeof o === 'number' || !!o.metadata?.deletionTimestamp;
    const claim = await core
      .readNamespacedPersistentVolumeClaim({ name: claimName(user), namespace })
      .catch((err: { code: number }) => err.code);
    const volume = await core
      .readPersistentVolume({ name: volumeName(user) })
      .catch((err: { code: number }) => err.code);
    expect([deleting(claim), deleting(volume)]).toEqual([true, true]);

    for (const name of copies.splice(0))
      expect((await call('DELETE', '/service/v1/pods', { query: { tenant, name } })).status).toBe(200);
    await until('the claim and the volume to be gone once no copy mounts the claim', async () => {
      const gone = await Promise.all([
        statusOfCall(core.readNamespacedPersistentVolumeClaim({ name: claimName(user), namespace })),
        statusOfCall(core.readPersistentVolume({ name: volumeName(user) })),
      ]);
      return gone.every((s) => s === 404);
    });
  });

  it('removes the claim and the volume of a student nothing mounts, answering their names', async () => {
    const erin = `${prefix}erin`;
    expect((await provision(erin)).status).toBe(201);

    expect(await call('DELETE', path, { query: { tenant, username: erin } })).toEqual({
      status: 200,
      body: { claim: claimName(erin), volume: volumeName(erin) },
    });
    await until('the claim and the volume to be gone', async () => {
      const gone = await Promise.all([
        statusOfCall(core.readNamespacedPersistentVolumeClaim({ name: claimName(erin), namespace })),
        statusOfCall(core.readPersistentVolume({ name: volumeName(erin) })),
      ]);
      return gone.every((s) => s === 404);
    });
  });

  it('answers 404 for a student who has neither a claim nor a volume', async () => {
    const nobody = `${prefix}nobody`;
    expect(await call('DELETE', path, { query: { tenant, username: nobody } })).toEqual({
      status: 404,
      body: {
        error: `No volume or claim for tenant ${tenant}, user ${nobody}, tag default.`,
        code: 'OBJECT_NOT_FOUND',
      },
    });
  });
});
