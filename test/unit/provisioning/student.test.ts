// One student's storage in one call, against an in-memory cluster: made together, kept when it exists, undone on a
// failure, removed together.
import type { KubernetesObject, V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { ConflictError } from '../../../lib/errors.ts';
import { markOwned } from '../../../lib/ownership/ownership.ts';
import { provisionStudent, unprovisionStudent, untilBound } from '../../../lib/provisioning/student.ts';
import type { TenantScope } from '../../../lib/tenants/scope.ts';
import { createVolume } from '../../../lib/volumes/volumes.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';
import { renderScope } from '../../support/scope.ts';

const id = tenants.a.id;
const volumeName = (user: string) => `pv-${id}-${user}-default`;
const claimName = (user: string) => `pvc-${id}-${user}-default`;
const student = (username: string, path = `tenant-a/${username}`) => ({ username, tag: 'default', path, wait: 0 });
const now = { deadline: Date.now() + 60_000 };

let resources: FakeResources;
let scope: TenantScope;
const names = (kind: string) =>
  [...resources.objects.values()].filter((o) => o.kind === kind).map((o) => o.metadata?.name);

beforeEach(() => {
  resources = new FakeResources();
  scope = { ...renderScope(tenants.a), resources };
});

describe('provisionStudent', () => {
  it("makes the student's volume and the match claim reserved for it, and answers them as created", async () => {
    const answer = await provisionStudent(scope, student('alice'), now);
    expect(answer).toMatchObject({
      status: 'created',
      bound: false,
      volume: { metadata: { name: volumeName('alice') }, spec: { claimRef: { name: claimName('alice') } } },
      claim: {
        metadata: { name: claimName('alice') },
        spec: { selector: { matchLabels: { pv: volumeName('alice') } } },
        pendingReason: { phase: 'Pending', reason: 'NoEvents' },
      },
    });
  });

  it('answers what the student already has as existing, making nothing: a retry after a timeout completes', async () => {
    const first = await provisionStudent(scope, student('bob'), now);
    resources.calls.length = 0;
    const again = await provisionStudent(scope, student('bob'), now);
    expect(again).toMatchObject({
      status: 'existing',
      volume: first.volume,
      claim: { metadata: first.claim.metadata },
    });
    expect(resources.calls.filter((c) => c.startsWith('create'))).toEqual([]);
  });

  it('makes only the claim when the volume exists, keeping the volume', async () => {
    const volume = await createVolume(scope, { username: 'carol', tag: 'default', path: 'tenant-a/carol' });
    const answer = await provisionStudent(scope, student('carol'), now);
    expect([answer.status, answer.volume.metadata?.uid]).toEqual(['created', volume.metadata?.uid]);
    expect(names('PersistentVolumeClaim')).toEqual([claimName('carol')]);
  });

  it('refuses a volume that exists at another path (409), changing nothing', async () => {
    await createVolume(scope, { username: 'dan', tag: 'default', path: 'tenant-a/dan' });
    await expect(provisionStudent(scope, student('dan', 'tenant-a/elsewhere'), now)).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
      message: expect.stringContaining('exists at /exports/moop/tenant-a/dan, not /exports/moop/tenant-a/elsewhere'),
    });
    expect(names('PersistentVolumeClaim')).toEqual([]);
  });

  it('removes the volume it made when the claim is refused, and answers why', async () => {
    const quota = new ConflictError('exceeded quota: claims', { code: 'QUOTA_EXCEEDED' });
    const create = resources.create.bind(resources);
    resources.create = async <T extends KubernetesObject>(obj: T) => {
      if (obj.kind === 'PersistentVolumeClaim') throw quota;
      return create(obj);
    };
    await expect(provisionStudent(scope, student('erin'), now)).rejects.toBe(quota);
    expect([names('PersistentVolume'), names('PersistentVolumeClaim')]).toEqual([[], []]);
  });

  it('keeps a volume that existed before the call when the claim is refused', async () => {
    await createVolume(scope, { username: 'fay', tag: 'default', path: 'tenant-a/fay' });
    resources.create = async () => {
      throw new ConflictError('exceeded quota: claims', { code: 'QUOTA_EXCEEDED' });
    };
    await expect(provisionStudent(scope, student('fay'), now)).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(names('PersistentVolume')).toEqual([volumeName('fay')]);
  });

  it("answers a name another owner's object holds as NAME_TAKEN, leaving nothing made", async () => {
    await resources.seed({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: volumeName('gil') } });
    await expect(provisionStudent(scope, student('gil'), now)).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    expect(names('PersistentVolumeClaim')).toEqual([]);
  });
});

describe('untilBound', () => {
  it('answers the claim once the volume controller has bound it', async () => {
    const { claim } = await provisionStudent(scope, student('hal'), now);
    setTimeout(() => void resources.mergePatch(claimRef('hal'), { status: { phase: 'Bound' } }), 50);
    const bound = await untilBound(resources, claim, Date.now() + 5000, 10);
    expect(bound.status?.phase).toBe('Bound');
  });

  it('answers the claim as it stands when the deadline comes first', async () => {
    const { claim } = await provisionStudent(scope, student('ivy'), now);
    const started = Date.now();
    const read = await untilBound(resources, claim, started + 100, 10);
    expect([read.status?.phase ?? 'Pending', Date.now() - started < 1000]).toEqual(['Pending', true]);
  });
});

const claimRef = (user: string) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  namespace: 'tenant-a',
  name: claimName(user),
});

describe('unprovisionStudent', () => {
  it('removes the claim, then the volume', async () => {
    await provisionStudent(scope, student('jo'), now);
    resources.calls.length = 0;
    expect(await unprovisionStudent(scope, { username: 'jo', tag: 'default', force: false })).toEqual({
      claim: claimName('jo'),
      volume: volumeName('jo'),
    });
    expect(resources.calls.filter((c) => c.startsWith('delete'))).toEqual([
      `delete PersistentVolumeClaim tenant-a/${claimName('jo')}`,
      `delete PersistentVolume /${volumeName('jo')}`,
    ]);
  });

  it('refuses while a pod mounts the claim (409 naming it), unless forced', async () => {
    await provisionStudent(scope, student('kim'), now);
    await resources.seed(
      markOwned(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'notebook-kim', namespace: 'tenant-a' },
          spec: { containers: [], volumes: [{ name: 'home', persistentVolumeClaim: { claimName: claimName('kim') } }] },
        },
        { tenant: id },
      ),
    );
    await expect(unprovisionStudent(scope, { username: 'kim', tag: 'default', force: false })).rejects.toMatchObject({
      code: 'CLAIM_IN_USE',
      details: { pods: ['notebook-kim'] },
    });
    expect(names('PersistentVolume')).toEqual([volumeName('kim')]);
    await expect(unprovisionStudent(scope, { username: 'kim', tag: 'default', force: true })).resolves.toEqual({
      claim: claimName('kim'),
      volume: volumeName('kim'),
    });
  });

  it('removes the volume alone when the claim is gone, and answers 404 when neither exists', async () => {
    await createVolume(scope, { username: 'lee', tag: 'default', path: 'tenant-a/lee' });
    await expect(unprovisionStudent(scope, { username: 'lee', tag: 'default', force: false })).resolves.toEqual({
      claim: null,
      volume: volumeName('lee'),
    });
    await expect(unprovisionStudent(scope, { username: 'lee', tag: 'default', force: false })).rejects.toMatchObject({
      code: 'OBJECT_NOT_FOUND',
    });
  });

  it("never touches another owner's objects of the same names", async () => {
    const foreign = { name: claimName('max'), namespace: 'tenant-a' };
    await resources.seed<V1PersistentVolumeClaim>({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: foreign,
    });
    await resources.seed<V1PersistentVolume>({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: volumeName('max') },
    });
    await expect(unprovisionStudent(scope, { username: 'max', tag: 'default', force: true })).rejects.toMatchObject({
      code: 'OBJECT_NOT_FOUND',
    });
    expect(resources.calls.filter((c) => c.startsWith('delete'))).toEqual([]);
  });
});
