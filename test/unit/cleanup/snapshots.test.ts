// Snapshots past SNAPSHOT_RETENTION_DAYS, in scheduled cleanup's hands: for each tenant one copy removes their
// archives from its store (the service's own paths: the student's folder and the snapshot's id), then their index
// entries go; younger ones stay; a dry run only reports; without a retention (0), nothing is touched.
import { Logger } from '@aws-lambda-powertools/logger';
import type { V1Pod } from '@kubernetes/client-node';
import { runCleanup } from '../../../lib/cleanup/run.ts';
import { recordsNamespace } from '../../../lib/ownership/ownership.ts';
import { keep } from '../../../lib/snapshots/index.ts';
import { studentFolder } from '../../../lib/snapshots/store.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';
import { renderScope } from '../../support/scope.ts';

const id = tenants.a.id;
const day = 24 * 60 * 60 * 1000;
let resources: FakeResources;
const settings = {
  policy: 'keep',
  retentionSeconds: 60,
  pageSize: 10,
  concurrency: 2,
  orphans: 'report',
  snapshotRetentionDays: 30,
} as const;
const context = (changes: Partial<typeof settings> | Record<string, number> = {}) => ({
  resources,
  tenants: { get: async () => tenants.a as never },
  logger: new Logger({ logLevel: 'SILENT' }),
  settings: { ...settings, ...changes },
  scope: async () => ({ ...renderScope(tenants.a), resources }),
});
const snapshot = (n: string, username: string, ageDays: number) => ({
  id: `snap-${n.repeat(20)}`,
  username,
  tag: 'default',
  requestedAt: new Date(Date.now() - ageDays * day).toISOString(),
  takenAt: new Date(Date.now() - ageDays * day).toISOString(),
  bytes: 10,
  files: 1,
});
const entries = () =>
  [...resources.objects.values()]
    .filter((o) => o.kind === 'ConfigMap' && o.metadata?.name?.startsWith('snapshot-'))
    .map((o) => o.metadata!.name!)
    .sort();
const pods = () => [...resources.objects.values()].filter((o) => o.kind === 'Pod') as V1Pod[];

beforeEach(async () => {
  resources = new FakeResources();
  for (const [name, labels] of [
    ['tenant-a', { 'moop.io/tenant': id }],
    [recordsNamespace, undefined],
  ] as const)
    await resources.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } });
  await keep(resources, id, snapshot('a', 'alice', 40));
  await keep(resources, id, snapshot('b', 'bob', 31));
  await keep(resources, id, snapshot('c', 'alice', 2));
});

it('removes the snapshots past the retention: one copy removes their archives, then their entries go', async () => {
  const summary = await runCleanup(context(), { action: 'scheduled', dryRun: false });

  const name = (n: string) => `${recordsNamespace}/snapshot-${id}-${n.repeat(20)}`;
  expect(summary.actions.deleteSnapshot).toEqual({ count: 2, names: [name('a'), name('b')] });
  expect(entries()).toEqual([`snapshot-${id}-${'c'.repeat(20)}`]);
  expect(pods()).toHaveLength(1);
  const [container] = pods()[0]!.spec!.containers;
  expect(container!.env?.find((e) => e.name === 'MOOP_REMOVE')?.value).toBe(
    [
      `${studentFolder({ username: 'alice', tag: 'default' })}/snap-${'a'.repeat(20)}.tar.gz`,
      `${studentFolder({ username: 'bob', tag: 'default' })}/snap-${'b'.repeat(20)}.tar.gz`,
    ].join('\n'),
  );
  // The store's whole volume, written by no one else: the copy removes only the paths it was given.
  expect(container!.volumeMounts?.filter((m) => m.mountPath === '/moop/store')).toEqual([
    { name: 'moop-vol-0', mountPath: '/moop/store' },
  ]);
  expect(summary.failures).toEqual([]);
});

it('only reports on a dry run', async () => {
  const summary = await runCleanup(context(), { action: 'scheduled', dryRun: true });
  expect(summary.actions.deleteSnapshot?.count).toBe(2);
  expect([entries().length, pods().length]).toEqual([3, 0]);
});

it('keeps every snapshot without a retention', async () => {
  const summary = await runCleanup(context({ snapshotRetentionDays: 0 }), { action: 'scheduled', dryRun: false });
  expect(summary.actions.deleteSnapshot).toBeUndefined();
  expect([entries().length, pods().length]).toEqual([3, 0]);
});
