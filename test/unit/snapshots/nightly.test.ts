// The nightly snapshot over an in-memory cluster: a snapshot of each student's claim a pod used in the last day (a
// running notebook, a copy that ended today), none of a claim unused since yesterday, of the store, or of a claim
// only a snapshot's own copy used; run twice the same night, it takes each once.
import { Logger } from '@aws-lambda-powertools/logger';
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { ownerAnnotations, ownerLabels } from '../../../lib/ownership/ownership.ts';
import { nightlySnapshots } from '../../../lib/snapshots/nightly.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';
import { renderScope } from '../../support/scope.ts';

const id = tenants.a.id;
let resources: FakeResources;
const run = () =>
  nightlySnapshots({
    resources,
    scope: async () => ({ ...renderScope(tenants.a), resources }),
    logger: new Logger({ logLevel: 'SILENT' }),
  });

const claim = (username: string): V1PersistentVolumeClaim => {
  const owner = { tenant: id, user: username, tag: 'default' };
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: `pvc-${id}-${username}-default`,
      namespace: 'tenant-a',
      labels: ownerLabels(owner),
      annotations: ownerAnnotations(owner),
    },
    status: { phase: 'Bound' },
  };
};

const pod = (
  name: string,
  claimName: string,
  status: V1Pod['status'],
  annotations?: Record<string, string>,
): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'tenant-a', ...(annotations ? { annotations } : {}) },
  spec: { containers: [{ name: 'c' }], volumes: [{ name: 'v', persistentVolumeClaim: { claimName } }] },
  status,
});

const ended = (hoursAgo: number): V1Pod['status'] => ({
  phase: 'Succeeded',
  containerStatuses: [
    {
      name: 'c',
      image: 'x',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, finishedAt: new Date(Date.now() - hoursAgo * 3_600_000) as never } },
    },
  ],
});

/** The students whose volume a snapshot copy archives, sorted. */
const archived = () =>
  [...resources.objects.values()]
    .filter((o) => o.kind === 'Pod' && o.metadata?.annotations?.['moop.io/snapshot'])
    .map((o) => JSON.parse(o.metadata!.annotations!['moop.io/snapshot']!).username as string)
    .sort();

beforeEach(async () => {
  resources = new FakeResources();
  await resources.seed({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'tenant-a', labels: { 'moop.io/tenant': id } },
  });
  for (const u of ['alice', 'bob', 'cara', 'dan']) await resources.seed(claim(u));
  await resources.seed(pod('jupyter-alice', claim('alice').metadata!.name!, { phase: 'Running' }));
  await resources.seed(pod('copy-today', claim('bob').metadata!.name!, ended(3)));
  await resources.seed(pod('copy-yesterday', claim('cara').metadata!.name!, ended(30)));
  await resources.seed(
    pod('archive-of-dan', claim('dan').metadata!.name!, ended(1), { 'moop.io/snapshot': '{"id":"snap-x"}' }),
  );
});

it('takes a snapshot of each claim a pod used in the last day, once a night', async () => {
  const first = await run();
  expect(first).toEqual({ namespaces: 1, taken: 2, failed: [] });
  expect(archived()).toEqual(['alice', 'bob']);

  const again = await run();
  expect(again).toEqual({ namespaces: 1, taken: 2, failed: [] });
  expect(archived()).toEqual(['alice', 'bob']);
});
