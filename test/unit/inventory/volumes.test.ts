// The volume inventory against an in-memory cluster: the join by (user, tag), adopted objects, the username filter,
// paging by cursor, and reads that do not grow with the tenant.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { createClaim } from '../../../lib/claims/claims.ts';
import { BadRequestError } from '../../../lib/errors.ts';
import { listVolumes } from '../../../lib/inventory/volumes.ts';
import { adoptionMarks, markOwned, ownerAnnotations, ownerLabels } from '../../../lib/ownership/ownership.ts';
import type { TenantScope } from '../../../lib/tenants/scope.ts';
import { createVolume } from '../../../lib/volumes/volumes.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';
import { renderScope } from '../../support/scope.ts';

let resources: FakeResources;
let scope: TenantScope;
const id = tenants.a.id;
const namespace = 'tenant-a';
const query = { tenant: id, limit: 100 };
const pvc = (user: string, tag = 'default') => `pvc-${id}-${user}-${tag}`;
const pv = (user: string, tag = 'default') => `pv-${id}-${user}-${tag}`;
const nfs = (folder: string) => ({ server: '10.0.0.2', path: `/exports/moop/tenant-a/${folder}` });

/** A user's volume and match claim, both Bound. */
async function boundPair(username: string, tag = 'default'): Promise<void> {
  await createVolume(scope, { username, tag, path: `tenant-a/${username}/${tag}` });
  await createClaim(scope, { username, tag, match: true });
  await resources.mergePatch({ ...kind.pv, name: pv(username, tag) }, { status: { phase: 'Bound' } });
  await resources.mergePatch({ ...kind.pvc, name: pvc(username, tag), namespace }, { status: { phase: 'Bound' } });
}

const kind = {
  pv: { apiVersion: 'v1', kind: 'PersistentVolume' },
  pvc: { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
} as const;

/** A copy Pod of the tenant mounting claims, running or finished. */
const copyPod = (name: string, claims: string[], phase = 'Running'): Promise<V1Pod> =>
  resources.seed(
    markOwned(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace, creationTimestamp: '2026-11-29T10:00:00Z' as unknown as Date },
        spec: {
          containers: [{ name: 'copy', image: 'busybox' }],
          volumes: claims.map((claimName, i) => ({ name: `moop-vol-${i}`, persistentVolumeClaim: { claimName } })),
        },
        status: { phase },
      } as V1Pod,
      { tenant: id },
    ),
  );

/** What the old services made, adopted: a volume reserved for a claim, the claim bound to it. */
async function adopted(user: string, parts: { volume?: boolean; claim?: boolean }): Promise<void> {
  const marks = adoptionMarks(id, new Date('2026-11-22T10:00:00Z'));
  if (parts.volume) {
    await resources.seed({
      ...kind.pv,
      metadata: { name: pv(user), ...marks },
      spec: { nfs: nfs(user), claimRef: { namespace, name: pvc(user) } },
      status: { phase: parts.claim ? 'Bound' : 'Released' },
    });
  }
  if (parts.claim) {
    await resources.seed({
      ...kind.pvc,
      metadata: { name: pvc(user), namespace, ...marks },
      spec: parts.volume ? { volumeName: pv(user) } : { storageClassName: '' },
      status: { phase: parts.volume ? 'Bound' : 'Pending' },
    });
  }
}

/** Objects the tenant must never be shown: another school's, an unmarked one, one whose marks disagree. */
async function strangers(): Promise<void> {
  const b = { ...renderScope(tenants.b), resources };
  await createVolume(b, { username: 'alice', tag: 'default', path: 'tenant-b/alice' });
  await resources.seed({ ...kind.pvc, metadata: { name: 'hub-db-dir', namespace } });
  // Labelled for tenant a, but their annotations (which decide) say tenant b: an owned claim and an adopted volume.
  const forged = { labels: ownerLabels({ tenant: id }), annotations: ownerAnnotations({ tenant: tenants.b.id }) };
  await resources.seed({ ...kind.pvc, metadata: { name: pvc('mallory'), namespace, ...forged } });
  const adoptedByB = adoptionMarks(tenants.b.id, new Date('2026-11-22T10:00:00Z')).annotations;
  await resources.seed({ ...kind.pv, metadata: { name: pv('mallory'), ...forged, annotations: adoptedByB } });
  await resources.seed({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'jupyter-alice', namespace },
    spec: {
      containers: [],
      volumes: [{ name: 'home', persistentVolumeClaim: { claimName: pvc('alice') } }],
    },
  } as KubernetesObject);
}

beforeEach(() => {
  resources = new FakeResources();
  scope = { ...renderScope(tenants.a), resources };
});

const aliceItem = (copies: string[]) => ({
  username: 'alice',
  tag: 'default',
  adopted: false,
  volume: { name: pv('alice'), phase: 'Bound', ...nfs('alice/default') },
  claim: { name: pvc('alice'), phase: 'Bound' },
  copies,
});

describe('listVolumes', () => {
  it('lists each (user, tag) with its volume, claim, why a claim is Pending and the running copies that mount it; adopted ones after, by name', async () => {
    await boundPair('alice');
    await createVolume(scope, { username: 'alice', tag: 'extra', path: 'tenant-a/alice/extra' });
    await createClaim(scope, { username: 'bob', tag: 'default', match: false });
    await copyPod('job-b', [pvc('alice'), pvc('bob')]);
    await copyPod('job-a', [pvc('alice')], 'Pending');
    await copyPod('job-done', [pvc('alice')], 'Succeeded');
    await adopted('zed', { volume: true, claim: true });
    await adopted('old', { volume: true });
    await adopted('lone', { claim: true });
    await strangers();

    expect(await listVolumes(scope, query)).toEqual({
      items: [
        aliceItem(['job-a', 'job-b']),
        {
          username: 'alice',
          tag: 'extra',
          adopted: false,
          volume: { name: pv('alice', 'extra'), phase: 'Pending', ...nfs('alice/extra') },
          claim: null,
          copies: [],
        },
        {
          username: 'bob',
          tag: 'default',
          adopted: false,
          volume: null,
          claim: {
            name: pvc('bob'),
            phase: 'Pending',
            pendingReason: {
              phase: 'Pending',
              reason: 'StorageClassNotFound',
              message:
                'The claim asks for storage class "standard", which does not exist in the cluster: no volume can be provisioned for it.',
            },
          },
          copies: ['job-b'],
        },
        {
          username: null,
          tag: null,
          adopted: true,
          volume: { name: pv('old'), phase: 'Released', ...nfs('old') },
          claim: null,
          copies: [],
        },
        {
          username: null,
          tag: null,
          adopted: true,
          volume: { name: pv('zed'), phase: 'Bound', ...nfs('zed') },
          claim: { name: pvc('zed'), phase: 'Bound' },
          copies: [],
        },
        {
          username: null,
          tag: null,
          adopted: true,
          volume: null,
          claim: {
            name: pvc('lone'),
            phase: 'Pending',
            pendingReason: {
              phase: 'Pending',
              reason: 'NoEvents',
              message: 'The volume controller has not reported on this claim yet.',
            },
          },
          copies: [],
        },
      ],
    });
  });

  it("explains a Pending claim in the volume controller's words: its latest event of any type", async () => {
    await createVolume(scope, { username: 'carol', tag: 'default', path: 'tenant-a/carol' });
    const claim = await createClaim(scope, { username: 'carol', tag: 'default', match: true });
    const event = (reason: string, type: string, at: string) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${reason}-${at}`, namespace },
      involvedObject: { kind: 'PersistentVolumeClaim', name: pvc('carol'), uid: claim.metadata!.uid },
      reason,
      message: `${reason} said so`,
      type,
      lastTimestamp: at,
    });
    await resources.seed(event('ProvisioningFailed', 'Warning', '2026-11-29T10:00:00Z'));
    await resources.seed(event('ExternalProvisioning', 'Normal', '2026-11-29T10:05:00Z'));

    const { items } = await listVolumes(scope, { ...query, username: 'carol' });

    expect(items.map((i) => i.claim)).toEqual([
      {
        name: pvc('carol'),
        phase: 'Pending',
        pendingReason: {
          phase: 'Pending',
          reason: 'ExternalProvisioning',
          message: 'ExternalProvisioning said so',
          lastSeen: '2026-11-29T10:05:00Z',
        },
      },
    ]);
  });

  it("with username, lists only that user's items, and never an adopted one", async () => {
    await boundPair('alice');
    await boundPair('alice-b');
    await copyPod('job-a', [pvc('alice')]);
    await adopted('alice-old', { volume: true });
    await strangers();

    expect(await listVolumes(scope, { ...query, username: 'alice' })).toEqual({ items: [aliceItem(['job-a'])] });
  });

  it('pages in (username, tag) order: each page continues exactly after the last item, and three pages cover the whole once', async () => {
    for (const user of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7']) await boundPair(user);
    const names = async (input: { continue?: string }) => {
      const page = await listVolumes(scope, { ...query, ...input, limit: 3 });
      return { users: page.items.map((i) => i.username), continue: page.continue };
    };

    const first = await names({});
    const second = await names({ continue: first.continue });
    const third = await names({ continue: second.continue });

    expect([first.users, second.users, third]).toEqual([
      ['u1', 'u2', 'u3'],
      ['u4', 'u5', 'u6'],
      { users: ['u7'], continue: undefined },
    ]);
  });

  it('neither repeats nor skips an item when objects come and go between pages, the last item shown among them', async () => {
    for (const user of ['u1', 'u3', 'u5', 'u7']) await boundPair(user);
    const first = await listVolumes(scope, { ...query, limit: 2 });
    await resources.delete({ ...kind.pvc, name: pvc('u3'), namespace });
    await resources.delete({ ...kind.pv, name: pv('u3') });
    await boundPair('u2');
    await boundPair('u4');

    const second = await listVolumes(scope, { ...query, limit: 2, continue: first.continue });

    expect([first.items.map((i) => i.username), second.items.map((i) => i.username)]).toEqual([
      ['u1', 'u3'],
      ['u4', 'u5'],
    ]);
  });

  it.each([
    ['not base64url JSON', 'bm90IGpzb24'],
    ['a cursor of the other route', Buffer.from(JSON.stringify(['job-x', 'Pod'])).toString('base64url')],
    ['not a list of strings', Buffer.from(JSON.stringify([0, 1, 2])).toString('base64url')],
  ])('refuses a continue that is %s with a 400, before reading anything', async (_, token) => {
    await expect(listVolumes(scope, { ...query, continue: token })).rejects.toMatchObject({
      constructor: BadRequestError,
      message: 'Invalid request query: continue: must be the "continue" of a previous page of this route.',
      code: 'INVALID_REQUEST',
      details: [{ field: 'continue', message: 'must be the "continue" of a previous page of this route' }],
    });
    expect(resources.calls).toEqual([]);
  });

  it('reads as much for a page of many Pending claims as for one: lists, and one read per storage class', async () => {
    const calls = async (users: number): Promise<string[]> => {
      resources = new FakeResources();
      scope = { ...scope, resources };
      for (let i = 0; i < users; i++) {
        await boundPair(`bound${i}`);
        await createClaim(scope, { username: `pending${i}`, tag: 'default', match: false });
        await copyPod(`job-${i}`, [pvc(`bound${i}`)]);
      }
      await adopted('lone', { claim: true });
      resources.calls.length = 0;
      await listVolumes(scope, query);
      return resources.calls.sort();
    };

    const expected = [
      'get StorageClass /standard',
      'list Event tenant-a',
      'list Job tenant-a',
      'list PersistentVolume ',
      'list PersistentVolumeClaim tenant-a',
      'list Pod tenant-a',
    ];
    expect(await calls(1)).toEqual(expected);
    expect(await calls(30)).toEqual(expected);
  });
});
