// Outcomes kept for Idempotency-Key retries, in cleanup's hands: a scheduled run deletes those past their day, and a
// tenant's removal deletes its own; nothing else of the namespace is touched.
import { Logger } from '@aws-lambda-powertools/logger';
import type { KubernetesObject } from '@kubernetes/client-node';
import { runCleanup } from '../../../lib/cleanup/run.ts';
import { once, outcomeTtlMs } from '../../../lib/idempotency/outcomes.ts';
import { markOwned } from '../../../lib/ownership/ownership.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';

const id = tenants.a.id;
let resources: FakeResources;
const settings = { policy: 'keep', retentionSeconds: 60, pageSize: 10, concurrency: 2, orphans: 'report' } as const;
const context = (now = Date.now()) => ({
  resources,
  tenants: { get: async () => tenants.a as never },
  logger: new Logger({ logLevel: 'SILENT' }),
  settings,
  now: () => now,
});
const configMaps = () =>
  [...resources.objects.values()].filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata?.name);

beforeEach(async () => {
  resources = new FakeResources();
  await resources.seed({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'tenant-a', labels: { 'moop.io/tenant': id } },
  });
  await once({ resources, tenant: id, route: 'rosters', key: 'k' }, {}, async () => ({}));
  // JupyterHub's own configuration, and another ConfigMap the service marked but that is no outcome: never deleted.
  await resources.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hub', namespace: 'tenant-a' } });
  await resources.seed<KubernetesObject>(
    markOwned(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `x-${id}`, namespace: 'tenant-a' } },
      { tenant: id },
    ),
  );
});

it('keeps an outcome younger than a day', async () => {
  const summary = await runCleanup(context(), { action: 'scheduled', dryRun: false });
  expect([summary.actions.deleteOutcome, configMaps().length]).toEqual([undefined, 3]);
});

it('deletes an outcome past its day, and nothing else', async () => {
  const [outcome] = configMaps().filter((n) => n?.startsWith('outcome-'));
  const summary = await runCleanup(context(Date.now() + outcomeTtlMs + 1000), { action: 'scheduled', dryRun: false });
  expect(summary.actions.deleteOutcome).toEqual({ count: 1, names: [`tenant-a/${outcome}`] });
  expect(configMaps()).toEqual(['hub', `x-${id}`]);
});

it("deletes a removed tenant's outcomes with its other objects", async () => {
  const summary = await runCleanup(context(), { action: 'tenant-removed', tenant: id, dryRun: false, force: true });
  expect(summary.actions.deleteOutcome?.count).toBe(2);
  expect(configMaps()).toEqual(['hub']);
});
