// Requests of one tenant, user or tag never read or delete another's object, whatever the names: a mismatch is a
// 404 or 409 and the other object survives untouched.
import type { KubernetesObject } from '@kubernetes/client-node';
import { tenants } from '../../fixtures/tenants.ts';
import type { ClaimAnswer, ErrorAnswer } from '../../support/answers.ts';
import { call } from '../../support/api.ts';
import { admin, statusOfCall, until } from '../../support/cluster.ts';
import { byUserPrefix, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const prefix = userPrefix('iso');
const a = tenants.a.id;
const { core } = admin();
const forged: string[] = [];

afterAll(async () => {
  for (const name of forged)
    await core.deleteNamespacedPersistentVolumeClaim({ name, namespace: 'tenant-a' }).catch(() => undefined);
  await sweep(byUserPrefix(prefix));
  await until('the forged claims to be gone', async () => {
    const left = await core.listNamespacedPersistentVolumeClaim({ namespace: 'tenant-a' });
    return !left.items.some((c) => forged.includes(c.metadata?.name ?? ''));
  });
});

/** A claim made behind the service's back, with the name the service would give (tenant a, user, default). */
async function forgeClaim(user: string, metadata: KubernetesObject['metadata'] = {}): Promise<string> {
  const name = `pvc-${a}-${user}-default`;
  forged.push(name);
  await core.createNamespacedPersistentVolumeClaim({
    namespace: 'tenant-a',
    body: {
      metadata: { ...metadata, name },
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Mi' } } },
    },
  });
  return name;
}

const claimOf = (user: string, tenant = a) => ({ tenant, username: user });

describe('isolation between tenants, users and tags', () => {
  it.each([
    ['an unlabelled claim someone made by hand', {}],
    [
      'a claim labelled as managed for another user',
      {
        labels: {
          'app.kubernetes.io/managed-by': 'moop-resource-service',
          'moop.io/tenant': a,
          'moop.io/user': 'someone-else',
          'moop.io/tag': 'default',
        },
        annotations: { 'moop.io/tenant': a, 'moop.io/user': 'someone-else', 'moop.io/tag': 'default' },
      },
    ],
    [
      'a claim whose labels match but whose raw owner differs',
      {
        labels: {
          'app.kubernetes.io/managed-by': 'moop-resource-service',
          'moop.io/tenant': a,
          'moop.io/tag': 'default',
        },
        annotations: { 'moop.io/tenant': a, 'moop.io/user': 'Someone Else', 'moop.io/tag': 'default' },
      },
    ],
  ])(
    'treats %s under "my" name as not mine: 404 to read or delete, 409 to create, and leaves it',
    async (_what, metadata) => {
      const user = `${prefix}${Math.random().toString(36).slice(2, 8)}`;
      const name = await forgeClaim(user, metadata);
      const uid = (await core.readNamespacedPersistentVolumeClaim({ name, namespace: 'tenant-a' })).metadata?.uid;

      expect((await call('GET', '/service/v1/volumes/pvcs', { query: claimOf(user) })).status).toBe(404);
      expect(
        (await call('DELETE', '/service/v1/volumes/pvcs', { query: { ...claimOf(user), force: 'true' } })).status,
      ).toBe(404);
      expect(await call('POST', '/service/v1/volumes/pvcs', { body: claimOf(user) })).toEqual({
        status: 409,
        body: {
          error: `The name ${name} is already used by an object of another tenant, user or tag; nothing was changed.`,
          code: 'NAME_TAKEN',
          details: { name },
        },
      });
      const after = await core.readNamespacedPersistentVolumeClaim({ name, namespace: 'tenant-a' });
      expect(after.metadata?.uid).toBe(uid);
      expect(after.metadata?.deletionTimestamp).toBeUndefined();
    },
  );

  it("keeps the same user and tag of two tenants apart: a school whose record names another's namespace makes nothing there", async () => {
    const user = `${prefix}shared`;
    const mine = await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', { body: claimOf(user) });
    const intruder = await call<ErrorAnswer>('POST', '/service/v1/volumes/pvcs', {
      body: claimOf(user, tenants.neighbour.id),
    });
    const elsewhere = await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', {
      body: claimOf(user, tenants.b.id),
    });

    expect([mine.status, intruder.status, intruder.body.code, elsewhere.status]).toEqual([
      201,
      422,
      'REFUSED_BY_POLICY',
      201,
    ]);
    expect([mine.body.metadata.namespace, elsewhere.body.metadata.namespace]).toEqual(['tenant-a', 'tenant-b']);
    expect(
      (await call('DELETE', '/service/v1/volumes/pvcs', { query: claimOf(user, tenants.neighbour.id) })).status,
    ).toBe(404);
    expect((await call('DELETE', '/service/v1/volumes/pvcs', { query: claimOf(user, tenants.b.id) })).status).toBe(200);
    expect(
      (await call<ClaimAnswer>('GET', '/service/v1/volumes/pvcs', { query: claimOf(user) })).body.metadata.uid,
    ).toBe(mine.body.metadata.uid);
  });

  it("never lets a tag read or delete the same user's other tag", async () => {
    const user = `${prefix}tags`;
    await call('POST', '/service/v1/volumes/pvs', {
      body: { tenant: a, username: user, tag: 'one', path: 'tenant-a/one' },
    });

    expect(
      (await call('GET', '/service/v1/volumes/pvs', { query: { tenant: a, username: user, tag: 'two' } })).status,
    ).toBe(404);
    expect(
      (await call('DELETE', '/service/v1/volumes/pvs', { query: { tenant: a, username: user, tag: 'two' } })).status,
    ).toBe(404);
    expect(await statusOfCall(core.readPersistentVolume({ name: `pv-${a}-${user}-one` }))).toBe('ok');
  });

  it("never reads or deletes a Job the service did not make, in the tenant's own namespace", async () => {
    const { batch } = admin();
    const name = `job-${a}-handmade`;
    await batch.createNamespacedJob({
      namespace: 'tenant-a',
      body: {
        metadata: { name },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
      },
    });
    try {
      expect((await call('GET', '/service/v1/pods', { query: { tenant: a, name } })).status).toBe(404);
      expect((await call('DELETE', '/service/v1/pods', { query: { tenant: a, name } })).status).toBe(404);
      expect(await statusOfCall(batch.readNamespacedJob({ name, namespace: 'tenant-a' }))).toBe('ok');
    } finally {
      await batch.deleteNamespacedJob({ name, namespace: 'tenant-a', propagationPolicy: 'Background' });
    }
  });
});
