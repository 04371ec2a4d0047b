// /service/v1/volumes/pvs through serverless-offline against the local cluster.
import { tenants } from '../../fixtures/tenants.ts';
import type { VolumeAnswer } from '../../support/answers.ts';
import { call } from '../../support/api.ts';
import { admin, eventually, statusOfCall, until } from '../../support/cluster.ts';
import { byUserPrefix, managedNames, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const path = '/service/v1/volumes/pvs';
const prefix = userPrefix('pvs');
const tenant = tenants.a.id;
const { core } = admin();

afterAll(() => sweep(byUserPrefix(prefix)));

/** The PV the seeds' template gives for a valid (tenant, user, tag), as the API server returns it. */
function expectedVolume(
  name: string,
  user: string,
  tag: string,
  nfsPath: string,
  claim: string,
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      uid: expect.any(String),
      resourceVersion: expect.any(String),
      creationTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      finalizers: ['kubernetes.io/pv-protection'],
      labels: {
        pv: name,
        'app.kubernetes.io/managed-by': 'moop-resource-service',
        'moop.io/tenant': tenant,
        'moop.io/user': expect.any(String),
        'moop.io/tag': expect.any(String),
      },
      annotations: { 'moop.io/tenant': tenant, 'moop.io/user': user, 'moop.io/tag': tag },
    },
    spec: {
      accessModes: ['ReadWriteMany'],
      capacity: { storage: '100Mi' },
      nfs: { server: '10.0.0.2', path: nfsPath },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'tenant-a', name: claim },
      persistentVolumeReclaimPolicy: 'Retain',
      volumeMode: 'Filesystem',
    },
    status: { phase: expect.stringMatching(/^(Pending|Available)$/), lastPhaseTransitionTime: expect.any(String) },
  };
}

describe('POST, GET and DELETE /service/v1/volumes/pvs', () => {
  it("creates the seeds' PV, reads it back, refuses a second one, and deletes it", async () => {
    const user = `${prefix}alice`;
    const name = `pv-${tenant}-${user}-default`;

    const created = await call<VolumeAnswer>('POST', path, {
      body: { tenant, username: user, path: 'tenant-a/courses/ds101' },
    });

    expect(created).toEqual({
      status: 201,
      body: expectedVolume(
        name,
        user,
        'default',
        '/exports/moop/tenant-a/courses/ds101',
        `pvc-${tenant}-${user}-default`,
      ),
    });
    const inCluster = await core.readPersistentVolume({ name });
    expect(inCluster.metadata?.uid).toBe(created.body.metadata?.uid);

    const read = await call<VolumeAnswer>('GET', path, { query: { tenant, username: user } });
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      ...expectedVolume(name, user, 'default', '/exports/moop/tenant-a/courses/ds101', `pvc-${tenant}-${user}-default`),
      status: expect.any(Object),
    });
    expect(read.body.metadata.uid).toBe(created.body.metadata?.uid);

    const again = await call('POST', path, { body: { tenant, username: user, path: 'tenant-a/elsewhere' } });
    expect(again).toEqual({
      status: 409,
      body: {
        error: `PersistentVolume ${name} already exists for tenant ${tenant}, user ${user}, tag default.`,
        code: 'ALREADY_EXISTS',
        details: { name },
      },
    });
    expect((await core.readPersistentVolume({ name })).spec?.nfs?.path).toBe('/exports/moop/tenant-a/courses/ds101');

    expect(await call('DELETE', path, { query: { tenant, username: user } })).toEqual({
      status: 200,
      body: { deleted: name },
    });
    await until('the PV to be gone', async () => (await statusOfCall(core.readPersistentVolume({ name }))) === 404);
    expect(await call('GET', path, { query: { tenant, username: user } })).toEqual({
      status: 404,
      body: {
        error: `No PersistentVolume ${name} for tenant ${tenant}, user ${user}, tag default.`,
        code: 'OBJECT_NOT_FOUND',
      },
    });
  });

  it('keeps a tag apart from the default one', async () => {
    const user = `${prefix}bob`;
    await call('POST', path, { body: { tenant, username: user, path: 'tenant-a/bob' } });
    const tagged = await call<VolumeAnswer>('POST', path, {
      body: { tenant, username: user, tag: 'exam', path: 'tenant-a/bob-exam' },
    });

    expect(tagged.status).toBe(201);
    expect(tagged.body.metadata.name).toBe(`pv-${tenant}-${user}-exam`);
    expect(
      (await call<VolumeAnswer>('GET', path, { query: { tenant, username: user, tag: 'exam' } })).body.spec?.nfs?.path,
    ).toBe('/exports/moop/tenant-a/bob-exam');
    expect((await call<VolumeAnswer>('GET', path, { query: { tenant, username: user } })).body.spec?.nfs?.path).toBe(
      '/exports/moop/tenant-a/bob',
    );
  });

  it.each([
    ['upper case', 'Carol'],
    ['an underscore', 'carol_x'],
    ['a dot at the end', 'carol.'],
    ['a space', 'carol x'],
    ['non-ASCII letters', 'carolé ü 王'],
  ])('gives a user name with %s a valid, stable, escaped name', async (_what, suffix) => {
    const user = `${prefix}${suffix}`;

    const created = await call<VolumeAnswer>('POST', path, {
      body: { tenant, username: user, path: 'tenant-a/escaped' },
    });

    expect(created.status).toBe(201);
    const name = created.body.metadata.name;
    expect(name).toMatch(/^pv-5c88a9ec5b6c2e3c4a3b2d1a-pvs-[0-9a-f]{6}-[a-z0-9-]*-[a-z2-7]{10}$/);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(created.body.metadata.annotations?.['moop.io/user']).toBe(user);
    const read = await call<VolumeAnswer>('GET', path, { query: { tenant, username: user } });
    expect(read.body.metadata.uid).toBe(created.body.metadata.uid);
  });

  it('keeps a user name with a dot as callers compute it (a DNS-1123 subdomain)', async () => {
    const user = `${prefix}carol.x`;

    const created = await call<VolumeAnswer>('POST', path, {
      body: { tenant, username: user, path: 'tenant-a/dotted' },
    });

    expect([created.status, created.body.metadata.name]).toEqual([201, `pv-${tenant}-${user}-default`]);
    expect((await call<VolumeAnswer>('GET', path, { query: { tenant, username: user } })).body.metadata.uid).toBe(
      created.body.metadata.uid,
    );
  });

  it("refuses a user whose dash-joined name collides with another's, and leaves the other alone", async () => {
    const first = { tenant, username: `${prefix}x-y`, tag: 'z', path: 'tenant-a/first' };
    const second = { tenant, username: `${prefix}x`, tag: 'y-z', path: 'tenant-a/second' };
    const name = `pv-${tenant}-${prefix}x-y-z`;
    expect((await call('POST', path, { body: first })).status).toBe(201);

    expect(await call('POST', path, { body: second })).toEqual({
      status: 409,
      body: {
        error: `The name ${name} is already used by an object of another tenant, user or tag; nothing was changed.`,
        code: 'NAME_TAKEN',
        details: { name },
      },
    });
    const secondQuery = { tenant, username: second.username, tag: second.tag };
    expect((await call('GET', path, { query: secondQuery })).status).toBe(404);
    expect((await call('DELETE', path, { query: secondQuery })).status).toBe(404);
    expect((await core.readPersistentVolume({ name })).spec?.nfs?.path).toBe('/exports/moop/tenant-a/first');
  });

  it("never shows or deletes another tenant's volume", async () => {
    const user = `${prefix}dave`;
    await call('POST', path, { body: { tenant, username: user, path: 'tenant-a/dave' } });
    const other = { tenant: tenants.b.id, username: user };

    expect((await call('GET', path, { query: other })).status).toBe(404);
    expect((await call('DELETE', path, { query: other })).status).toBe(404);
    expect((await call('GET', path, { query: { tenant, username: user } })).status).toBe(200);
  });

  it('reserves the volume for its own claim: a claim of another name that selects it stays unbound', async () => {
    const user = `${prefix}erin`;
    const created = await call<VolumeAnswer>('POST', path, { body: { tenant, username: user, path: 'tenant-a/erin' } });
    const volume = created.body.metadata.name;
    await core.createNamespacedPersistentVolumeClaim({
      namespace: 'tenant-a',
      body: {
        metadata: { name: `${prefix}thief` },
        spec: {
          accessModes: ['ReadWriteMany'],
          storageClassName: '',
          resources: { requests: { storage: '100Mi' } },
          selector: { matchLabels: { pv: volume } },
        },
      },
    });
    try {
      const claim = await call('POST', '/service/v1/volumes/pvcs', { body: { tenant, username: user, match: true } });
      expect(claim.status).toBe(201);
      const bound = await eventually("the owner's claim to bind", async () => {
        const pv = await core.readPersistentVolume({ name: volume });
        return pv.status?.phase === 'Bound' ? pv : undefined;
      });
      expect(bound.spec?.claimRef?.name).toBe(`pvc-${tenant}-${user}-default`);
      const thief = await core.readNamespacedPersistentVolumeClaim({ name: `${prefix}thief`, namespace: 'tenant-a' });
      expect(thief.status?.phase).toBe('Pending');
    } finally {
      await core.deleteNamespacedPersistentVolumeClaim({ name: `${prefix}thief`, namespace: 'tenant-a' });
    }
  });

  it('answers DELETE of a volume that is not there with 404 and deletes nothing', async () => {
    const before = await managedNames();
    expect(await call('DELETE', path, { query: { tenant, username: `${prefix}nobody`, tag: 'none' } })).toEqual({
      status: 404,
      body: {
        error: `No PersistentVolume pv-${tenant}-${prefix}nobody-none for tenant ${tenant}, user ${prefix}nobody, tag none.`,
        code: 'OBJECT_NOT_FOUND',
      },
    });
    expect(await managedNames()).toEqual(before);
  });
});
