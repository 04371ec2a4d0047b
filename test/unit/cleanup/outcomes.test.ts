// Records kept in the service's records namespace, in cleanup's hands: a scheduled run deletes outcomes of
// Idempotency-Key retries past their day, and a tenant's removal deletes all its records (outcomes, notices); nothing
// else of the records namespace is touched, and a tenant namespace's ConfigMaps (the hub's configuration) are never
// even listed.
import { Logger } from '@aws-lambda-powertools/logger';
import type { KubernetesObject } from '@kubernetes/client-node';
import { runCleanup } from '../../../lib/cleanup/run.ts';
import { once, outcomeTtlMs } from '../../../lib/idempotency/outcomes.ts';
import { recordNotice } from '../../../lib/notices/record.ts';
import { markOwned, recordsNamespace } from '../../../lib/ownership/ownership.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';

const [id, other] = [tenants.a.id, tenants.b.id];
let resources: FakeResources;
const settings = { policy: 'keep', retentionSeconds: 60, pageSize: 10, concurrency: 2, orphans: 'report' } as const;
const context = (now = Date.now()) => ({
  resources,
  tenants: { get: async () => tenants.a as never },
  logger: new Logger({ logLevel: 'SILENT' }),
  settings,
  now: () => now,
});
/** The ConfigMaps left, as namespace/name, sorted. */
const configMaps = () =>
  [...resources.objects.values()]
    .filter((o) => o.kind === 'ConfigMap')
    .map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`)
    .sort();
const named = (prefix: string, tenant = id) =>
  configMaps().filter((n) => n.startsWith(`${recordsNamespace}/${prefix}-${tenant}-`));
/** The reads and changes of ConfigMaps cleanup made anywhere but the records namespace. */
const outsideRecords = () => resources.calls.filter((c) => c.includes('ConfigMap') && !c.includes(recordsNamespace));

beforeEach(async () => {
  resources = new FakeResources();
  for (const [name, labels] of [
    ['tenant-a', { 'moop.io/tenant': id }],
    ['tenant-b', { 'moop.io/tenant': other }],
    [recordsNamespace, undefined],
  ] as const)
    await resources.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } });
  // Tenant A's outcome and notice, and tenant B's outcome: all in the records namespace.
  await once({ resources, tenant: id, route: 'rosters', key: 'k' }, {}, async () => ({}));
  await once({ resources, tenant: other, route: 'rosters', key: 'k' }, {}, async () => ({}));
  await recordNotice(resources, {
    tenant: id,
    namespace: 'tenant-a',
    target: { kind: 'Pod', name: `copy-${id}-x`, uid: 'pod-uid' },
    correlationId: 'order-1',
  });
  // JupyterHub's own configuration in the tenant's namespace, and a ConfigMap of the records namespace the service
  // marked for tenant A that is no outcome: neither is deleted by a scheduled run; the hub's never even listed.
  await resources.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hub', namespace: 'tenant-a' } });
  await resources.seed<KubernetesObject>(
    markOwned(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `x-${id}`, namespace: recordsNamespace } },
      { tenant: id },
    ),
  );
  resources.calls.length = 0;
});

it('keeps an outcome younger than a day', async () => {
  const summary = await runCleanup(context(), { action: 'scheduled', dryRun: false });
  expect([summary.actions.deleteOutcome, configMaps().length]).toEqual([undefined, 5]);
  expect(outsideRecords()).toEqual([]);
});

it('deletes the outcomes past their day, and nothing else, listing ConfigMaps only in the records namespace', async () => {
  const outcomes = [...named('outcome'), ...named('outcome', other)];
  expect(outcomes).toHaveLength(2);
  const summary = await runCleanup(context(Date.now() + outcomeTtlMs + 1000), { action: 'scheduled', dryRun: false });
  expect(summary.actions.deleteOutcome?.count).toBe(2);
  expect(summary.actions.deleteOutcome?.names.sort()).toEqual(outcomes);
  expect(configMaps()).toEqual(['tenant-a/hub', ...named('notice'), `${recordsNamespace}/x-${id}`].sort());
  expect(outsideRecords()).toEqual([]);
});

it("deletes a removed tenant's records, outcomes and notices, and no other tenant's", async () => {
  const records = [...named('notice'), ...named('outcome'), `${recordsNamespace}/x-${id}`].sort();
  const summary = await runCleanup(context(), { action: 'tenant-removed', tenant: id, dryRun: false, force: true });
  expect([summary.actions.deleteRecord?.count, summary.actions.deleteRecord?.names.sort()]).toEqual([3, records]);
  expect(summary.actions.deleteOutcome).toBeUndefined();
  expect(summary.actions.list).toBeUndefined();
  expect(configMaps()).toEqual(['tenant-a/hub', ...named('outcome', other)].sort());
  expect(outsideRecords()).toEqual([]);
});

it("keeps a removed tenant's records on a dry run, reporting them", async () => {
  const before = configMaps();
  const summary = await runCleanup(context(), { action: 'tenant-removed', tenant: id, dryRun: true, force: true });
  expect([summary.actions.deleteRecord?.count, configMaps()]).toEqual([3, before]);
});
