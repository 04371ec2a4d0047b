// The index of a tenant's snapshots over an in-memory cluster: one ConfigMap per kept snapshot in moop-records, marked
// for its tenant and labelled with the student's store folder; written once; read back only when it is the tenant's
// and well formed (a forged or malformed ConfigMap is passed by); a student's own, by one labelled list; removed.
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { ConflictError, UpstreamError } from '../../../lib/errors.ts';
import { markOwned, ownerLabels, recordsNamespace } from '../../../lib/ownership/ownership.ts';
import {
  forget,
  type Kept,
  keep,
  keptOf,
  keptOfStudent,
  keptSnapshot,
  snapshotOfLabel,
} from '../../../lib/snapshots/index.ts';
import { studentFolder } from '../../../lib/snapshots/store.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';

const [a, b] = [tenants.a.id, tenants.b.id];

let resources: FakeResources;
beforeEach(() => {
  resources = new FakeResources();
});

const alice = { username: 'alice', tag: 'default' };

/** A kept snapshot of key (alice's by default), taken at minute. */
const snapshot = (suffix: string, key = alice, minute = 0): Kept => ({
  id: `snap-${suffix.padEnd(20, suffix.at(-1))}`,
  username: key.username,
  tag: key.tag,
  requestedAt: `2026-03-01T10:${String(minute).padStart(2, '0')}:00.000Z`,
  takenAt: `2026-03-01T10:${String(minute).padStart(2, '0')}:30.000Z`,
  bytes: 4096,
  files: 12,
});

const entryName = (tenant: string, id: string) => `snapshot-${tenant}-${id.slice('snap-'.length)}`;
const entries = () =>
  [...resources.objects.values()].filter((o) => o.kind === 'ConfigMap') as unknown as (V1ConfigMap &
    KubernetesObject)[];

/** A ConfigMap in moop-records labelled as alice's entry, with data and marks as given: what a forger could make. */
const forged = (name: string, data: Record<string, string> | undefined, tenant?: string): V1ConfigMap => {
  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: recordsNamespace,
      labels: { 'app.kubernetes.io/managed-by': 'moop-resource-service', [snapshotOfLabel]: studentFolder(alice) },
    },
    ...(data ? { data } : {}),
  };
  return tenant ? markOwned(configMap, { tenant }) : configMap;
};

describe('keep', () => {
  it("writes the entry: named for the tenant and id, in moop-records, marked for the tenant, labelled with the student's folder", async () => {
    const kept = { ...snapshot('a'), note: 'before the final' };

    await keep(resources, a, kept);

    expect(entries()).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: entryName(a, kept.id),
          namespace: recordsNamespace,
          labels: { [snapshotOfLabel]: studentFolder(alice), ...ownerLabels({ tenant: a }) },
          annotations: { 'moop.io/tenant': a },
          creationTimestamp: expect.any(String),
          uid: expect.any(String),
          resourceVersion: expect.any(String),
        },
        data: { snapshot: JSON.stringify(kept) },
      },
    ]);
  });

  it('indexed already is the same: the first entry stays, one entry', async () => {
    await keep(resources, a, snapshot('a'));
    await keep(resources, a, { ...snapshot('a'), bytes: 1 });

    expect(entries().map((e) => JSON.parse(e.data!.snapshot!))).toEqual([snapshot('a')]);
  });

  it('the same id for two tenants is two entries', async () => {
    await keep(resources, a, snapshot('a'));
    await keep(resources, b, snapshot('a'));

    expect(entries().map((e) => e.metadata?.name)).toEqual([
      entryName(a, snapshot('a').id),
      entryName(b, snapshot('a').id),
    ]);
  });

  it('passes on any other failure to write it', async () => {
    const refused = new UpstreamError('Kubernetes failed', { code: 'KUBERNETES_FAILED' });
    resources.create = async () => {
      throw refused;
    };
    await expect(keep(resources, a, snapshot('a'))).rejects.toBe(refused);
  });
});

describe('keptOf', () => {
  it('reads the snapshot of an entry of the tenant, with its ConfigMap', async () => {
    await keep(resources, a, snapshot('a'));
    const [configMap] = entries();

    expect(keptOf(configMap!, a)).toEqual({ ...snapshot('a'), configMap });
  });

  it.each([
    ['not marked at all', forged('snapshot-x', { snapshot: JSON.stringify(snapshot('a')) })],
    ['marked for another tenant', forged('snapshot-x', { snapshot: JSON.stringify(snapshot('a')) }, b)],
    ['malformed JSON', forged('snapshot-x', { snapshot: '{"id": "snap-' }, a)],
    ['no data', forged('snapshot-x', undefined, a)],
    ['JSON null', forged('snapshot-x', { snapshot: 'null' }, a)],
    [
      'a field missing',
      forged('snapshot-x', { snapshot: JSON.stringify({ ...snapshot('a'), takenAt: undefined }) }, a),
    ],
    [
      'a field of the wrong type',
      forged('snapshot-x', { snapshot: JSON.stringify({ ...snapshot('a'), bytes: '4096' }) }, a),
    ],
    ['a count not whole', forged('snapshot-x', { snapshot: JSON.stringify({ ...snapshot('a'), files: 1.5 }) }, a)],
    [
      'a field the index never writes',
      forged('snapshot-x', { snapshot: JSON.stringify({ ...snapshot('a'), x: 1 }) }, a),
    ],
  ])('passes by a ConfigMap: %s', (_, configMap) => {
    expect(keptOf(configMap, a)).toBeUndefined();
  });
});

describe('keptOfStudent', () => {
  it("answers the student's own entries only, from one labelled list", async () => {
    await keep(resources, a, snapshot('a'));
    await keep(resources, a, { ...snapshot('b', alice, 5), note: 'second' });
    await keep(resources, a, snapshot('c', { username: 'bob', tag: 'default' }));
    await keep(resources, a, snapshot('d', { username: 'alice', tag: 'exam' }));
    await keep(resources, b, snapshot('e'));
    resources.calls.length = 0;

    const kept = await keptOfStudent(resources, a, alice);

    expect(kept.map(({ configMap: _, ...k }) => k)).toEqual([
      snapshot('a'),
      { ...snapshot('b', alice, 5), note: 'second' },
    ]);
    expect(kept.map((k) => k.configMap.metadata?.name)).toEqual([
      entryName(a, snapshot('a').id),
      entryName(a, snapshot('b').id),
    ]);
    expect(resources.calls).toEqual([`list ConfigMap ${recordsNamespace}`]);
  });

  it("passes by forged and malformed ConfigMaps labelled as the student's", async () => {
    await keep(resources, a, snapshot('a'));
    await resources.seed(forged('snapshot-f1', { snapshot: JSON.stringify(snapshot('f')) }));
    await resources.seed(forged('snapshot-f2', { snapshot: JSON.stringify(snapshot('g')) }, b));
    await resources.seed(forged('snapshot-f3', { snapshot: 'not json' }, a));
    // Well formed and the tenant's, labelled with alice's folder, but another student's snapshot.
    await resources.seed(
      forged('snapshot-f4', { snapshot: JSON.stringify(snapshot('h', { username: 'mallory', tag: 'default' })) }, a),
    );

    expect((await keptOfStudent(resources, a, alice)).map((k) => k.id)).toEqual([snapshot('a').id]);
  });

  it('answers none for a student without snapshots', async () => {
    await keep(resources, a, snapshot('a'));
    expect(await keptOfStudent(resources, a, { username: 'bob', tag: 'default' })).toEqual([]);
  });
});

describe('keptSnapshot', () => {
  it("answers the student's snapshot of that id", async () => {
    await keep(resources, a, snapshot('a'));

    const kept = await keptSnapshot(resources, a, alice, snapshot('a').id);

    expect(kept).toEqual({ ...snapshot('a'), configMap: entries()[0] });
  });

  it.each([
    ['an unknown id', alice, 'snap-zzzzzzzzzzzzzzzzzzzz'],
    ["another student's id", { username: 'bob', tag: 'default' }, snapshot('a').id],
    ["the student's id of another tag", { username: 'alice', tag: 'exam' }, snapshot('a').id],
  ])('is 404 SNAPSHOT_NOT_FOUND for %s', async (_, key, id) => {
    await keep(resources, a, snapshot('a'));

    await expect(keptSnapshot(resources, a, key, id)).rejects.toMatchObject({
      status: 404,
      code: 'SNAPSHOT_NOT_FOUND',
      message: `No snapshot ${id} of ${key.username} (tag ${key.tag}).`,
    });
  });

  it("is 404 for another tenant's snapshot of the same id and student", async () => {
    await keep(resources, b, snapshot('a'));

    await expect(keptSnapshot(resources, a, alice, snapshot('a').id)).rejects.toMatchObject({
      code: 'SNAPSHOT_NOT_FOUND',
    });
  });

  it('is 404 for a ConfigMap at the name that is forged, malformed, or holds another id', async () => {
    const id = snapshot('a').id;
    await resources.seed(forged(entryName(a, id), { snapshot: JSON.stringify(snapshot('a')) }, b));
    await expect(keptSnapshot(resources, a, alice, id)).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });

    resources.objects.clear();
    await resources.seed(forged(entryName(a, id), { snapshot: '{' }, a));
    await expect(keptSnapshot(resources, a, alice, id)).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });

    resources.objects.clear();
    await resources.seed(forged(entryName(a, id), { snapshot: JSON.stringify(snapshot('b')) }, a));
    await expect(keptSnapshot(resources, a, alice, id)).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });
  });
});

describe('forget', () => {
  it('removes the entry it read, and nothing else', async () => {
    await keep(resources, a, snapshot('a'));
    await keep(resources, a, snapshot('b'));
    const kept = await keptSnapshot(resources, a, alice, snapshot('a').id);

    await forget(resources, kept);

    expect(entries().map((e) => e.metadata?.name)).toEqual([entryName(a, snapshot('b').id)]);
  });

  it('is done when the entry is gone already', async () => {
    await keep(resources, a, snapshot('a'));
    const kept = await keptSnapshot(resources, a, alice, snapshot('a').id);
    await forget(resources, kept);

    await expect(forget(resources, kept)).resolves.toBeUndefined();
    expect(entries()).toEqual([]);
  });

  it('leaves an entry made anew since it was read (another uid): 409', async () => {
    await keep(resources, a, snapshot('a'));
    const kept = await keptSnapshot(resources, a, alice, snapshot('a').id);
    await forget(resources, kept);
    await keep(resources, a, snapshot('a'));

    await expect(forget(resources, kept)).rejects.toBeInstanceOf(ConflictError);
    expect(entries().map((e) => e.metadata?.name)).toEqual([entryName(a, snapshot('a').id)]);
  });
});
