// A user's claim against an in-memory cluster: the rules of making, rebinding and deleting one, in milliseconds.
import type { KubernetesObject, V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { createClaim, deleteClaim, readClaim } from '../../../lib/claims/claims.ts';
import { objectName } from '../../../lib/kube/names.ts';
import type { ObjectRef } from '../../../lib/kube/objects.ts';
import { markOwned } from '../../../lib/ownership/ownership.ts';
import type { TenantScope } from '../../../lib/tenants/scope.ts';
import { createVolume } from '../../../lib/volumes/volumes.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';
import { renderScope } from '../../support/scope.ts';

let resources: FakeResources;
let scope: TenantScope;
const id = tenants.a.id;
const claimName = (user: string, tag = 'default') => `pvc-${id}-${user}-${tag}`;
const claimOf = (name: string) =>
  resources.get<V1PersistentVolumeClaim>({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    namespace: 'tenant-a',
    name,
  });
const volumeOf = (name: string) =>
  resources.get<V1PersistentVolume>({ apiVersion: 'v1', kind: 'PersistentVolume', name });
/** A name escaped with the plain hash anyone could compute, as names were before NAME_KEY. */
const legacy = (prefix: string, user: string) =>
  objectName(`${prefix}-${id}-${user}-default`, [id, user, 'default'], 'subdomain', { legacy: true });

beforeEach(() => {
  resources = new FakeResources();
  scope = { ...renderScope(tenants.a), resources };
});

describe('createClaim', () => {
  it('makes the match claim of a user whose volume is reserved for it, selecting that volume', async () => {
    await createVolume(scope, { username: 'alice', tag: 'default', path: 'tenant-a/alice' });
    const claim = await createClaim(scope, { username: 'alice', tag: 'default', match: true });
    expect([claim.metadata?.name, claim.spec?.selector?.matchLabels?.pv]).toEqual([
      claimName('alice'),
      `pv-${id}-alice-default`,
    ]);
  });

  it("refuses a claim of the name another user's volume is reserved for (names that collide), making nothing", async () => {
    await createVolume(scope, { username: 'a-b', tag: 'c', path: 'tenant-a/victim' });
    await expect(createClaim(scope, { username: 'a', tag: 'b-c', match: false })).rejects.toMatchObject({
      code: 'NAME_TAKEN',
    });
    await expect(createClaim(scope, { username: 'a', tag: 'b-c', match: true })).rejects.toMatchObject({
      code: 'NAME_TAKEN',
    });
    expect(resources.calls.filter((c) => c.startsWith('create PersistentVolumeClaim'))).toEqual([]);
  });

  it('refuses a plain claim of a user whose NFS volume is reserved for their match claim', async () => {
    await createVolume(scope, { username: 'bob', tag: 'default', path: 'tenant-a/bob' });
    await expect(createClaim(scope, { username: 'bob', tag: 'default', match: false })).rejects.toMatchObject({
      code: 'VOLUME_RESERVED',
      details: { volume: `pv-${id}-bob-default` },
    });
  });

  it("clears a Released volume's old claim uid when the claim is made again, so it binds at once", async () => {
    const volume = await createVolume(scope, { username: 'carol', tag: 'default', path: 'tenant-a/carol' });
    await resources.mergePatch(
      { apiVersion: 'v1', kind: 'PersistentVolume', name: volume.metadata!.name! },
      { spec: { claimRef: { uid: 'gone' } } },
    );
    await createClaim(scope, { username: 'carol', tag: 'default', match: true });
    expect((await volumeOf(volume.metadata!.name!)).spec?.claimRef).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      namespace: 'tenant-a',
      name: claimName('carol'),
    });
  });

  it('takes the name a volume made before NAME_KEY is reserved for, and never makes a second claim beside an old one', async () => {
    const owner = { tenant: id, user: 'Élodie', tag: 'default' };
    await resources.seed(
      markOwned(
        {
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: { name: legacy('pv', 'Élodie') },
          spec: {
            claimRef: {
              apiVersion: 'v1',
              kind: 'PersistentVolumeClaim',
              namespace: 'tenant-a',
              name: legacy('pvc', 'Élodie'),
            },
          },
        } as V1PersistentVolume,
        owner,
      ),
    );
    const claim = await createClaim(scope, { username: 'Élodie', tag: 'default', match: true });
    expect(claim.metadata?.name).toBe(legacy('pvc', 'Élodie'));
    await expect(createClaim(scope, { username: 'Élodie', tag: 'default', match: true })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    await expect(
      createVolume(scope, { username: 'Élodie', tag: 'default', path: 'tenant-a/elodie' }),
    ).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
      details: { name: legacy('pv', 'Élodie') },
    });
  });
});

describe('createVolume', () => {
  it("refuses a volume reserved for a claim of that name that is another user's: the claim would be bound to it", async () => {
    await createClaim(scope, { username: 'x', tag: 'y-z', match: false });
    await expect(createVolume(scope, { username: 'x-y', tag: 'z', path: 'tenant-a' })).rejects.toMatchObject({
      code: 'NAME_TAKEN',
    });
    expect(resources.calls.filter((c) => c.startsWith('create PersistentVolume '))).toEqual([]);
  });
});

describe('deleteClaim', () => {
  it('refuses while a pod that has not finished mounts the claim, unless forced', async () => {
    await createClaim(scope, { username: 'dave', tag: 'default', match: false });
    await resources.seed({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'jupyter-dave', namespace: 'tenant-a' },
      spec: { containers: [], volumes: [{ name: 'home', persistentVolumeClaim: { claimName: claimName('dave') } }] },
      status: { phase: 'Running' },
    } as never);
    await expect(deleteClaim(scope, { username: 'dave', tag: 'default', force: false })).rejects.toMatchObject({
      code: 'CLAIM_IN_USE',
      details: { pods: ['jupyter-dave'] },
    });
    expect(await deleteClaim(scope, { username: 'dave', tag: 'default', force: true })).toEqual({
      deleted: claimName('dave'),
    });
    await expect(claimOf(claimName('dave'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('readClaim', () => {
  it('answers only once every read it started has ended, so that none runs on into the next invocation', async () => {
    // The storage class of the tenant's pvc template is looked up beside the claim, in case it is Pending; a Lambda
    // that answered first would freeze that read mid-call and count its latency against the next request.
    let release = (): void => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    class HeldStorageClass extends FakeResources {
      override async get<T extends KubernetesObject>(ref: ObjectRef): Promise<T> {
        if (ref.kind === 'StorageClass') await held;
        return super.get<T>(ref);
      }
    }
    scope = { ...scope, resources: new HeldStorageClass() };
    let ended = false;
    const read = readClaim(scope, { username: 'nobody', tag: 'default' }).finally(() => {
      ended = true;
    });
    read.catch(() => undefined);
    for (let i = 0; i < 10; i++) await new Promise(setImmediate);
    expect(ended).toBe(false);

    release();
    await expect(read).rejects.toMatchObject({ code: 'OBJECT_NOT_FOUND' });
  });
});
