// Cleanup pages through lists (limit and continue) instead of loading everything: checked in-process against the
// real API server with a page size of 2, watching the list calls it makes.

import { Logger } from '@aws-lambda-powertools/logger';
import { jest } from '@jest/globals';
import { runCleanup } from '../../../lib/cleanup/run.ts';
import { KubeClient } from '../../../lib/kube/client.ts';
import { kubeFailure } from '../../../lib/kube/failures.ts';
import { loadKubeconfig } from '../../../lib/kube/kubeconfig.ts';
import { Resources } from '../../../lib/kube/resources.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { call } from '../../support/api.ts';
import { byUserPrefix, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const prefix = userPrefix('paging');
let kube: KubeClient;

beforeAll(async () => {
  kube = new KubeClient(loadKubeconfig({ file: process.env.MOOP_TEST_SERVICE_KUBECONFIG! }), { timeoutMs: 5000 });
});
afterAll(async () => {
  await kube.close();
  await sweep(byUserPrefix(prefix));
});

it('reads volumes a page at a time and still reports every one of them', async () => {
  const users = Array.from({ length: 5 }, (_, i) => `${prefix}u${i}`);
  await Promise.all(
    users.map((u) =>
      call('POST', '/service/v1/volumes/pvs', { body: { tenant: tenants.b.id, username: u, path: `tenant-b/${u}` } }),
    ),
  );
  const resources = new Resources(kube);
  const list = jest.spyOn(resources, 'list');
  const noTenants = { get: () => Promise.reject(new Error('not asked when forced')) };

  const summary = await runCleanup(
    {
      resources,
      tenants: noTenants,
      logger: new Logger({ logLevel: 'SILENT' }),
      settings: { policy: 'keep', retentionSeconds: 60, pageSize: 2, concurrency: 2, orphans: 'report' },
    },
    { action: 'tenant-removed', tenant: tenants.b.id, dryRun: true, force: true },
  );

  expect(summary.actions.deleteVolume?.names).toEqual(
    expect.arrayContaining(users.map((u) => `pv-${tenants.b.id}-${u}-default`)),
  );
  const volumeCalls = list.mock.calls.filter(([, kind]) => kind === 'PersistentVolume').map(([, , options]) => options);
  expect(volumeCalls.length).toBeGreaterThanOrEqual(3);
  expect(volumeCalls.every((o) => o?.limit === 2)).toBe(true);
  expect(volumeCalls[0]?.continue).toBeUndefined();
  expect(volumeCalls.slice(1).every((o) => typeof o?.continue === 'string')).toBe(true);
});

it('starts a list again when the API server expires its continue token (410), and still reports every volume once', async () => {
  const users = Array.from({ length: 5 }, (_, i) => `${prefix}g${i}`);
  await Promise.all(
    users.map((u) =>
      call('POST', '/service/v1/volumes/pvs', { body: { tenant: tenants.b.id, username: u, path: `tenant-b/${u}` } }),
    ),
  );
  const resources = new Resources(kube);
  const real = resources.list.bind(resources);
  let expired = 0;
  // The second page's token expires once, as it does when etcd compacts past a slow listing's revision.
  jest.spyOn(resources, 'list').mockImplementation(async (apiVersion, kind, options) => {
    if (kind === 'PersistentVolume' && options?.continue && expired === 0) {
      expired++;
      throw kubeFailure({
        method: 'GET',
        path: '/api/v1/persistentvolumes',
        status: 410,
        body: {
          kind: 'Status',
          reason: 'Expired',
          message: 'The provided continue parameter is too old to display a consistent list result.',
        },
      });
    }
    return real(apiVersion, kind, options);
  });
  const noTenants = { get: () => Promise.reject(new Error('not asked when forced')) };

  const summary = await runCleanup(
    {
      resources,
      tenants: noTenants,
      logger: new Logger({ logLevel: 'SILENT' }),
      settings: { policy: 'keep', retentionSeconds: 60, pageSize: 2, concurrency: 2, orphans: 'report' },
    },
    { action: 'tenant-removed', tenant: tenants.b.id, dryRun: true, force: true },
  );

  expect(expired).toBe(1);
  const names = summary.actions.deleteVolume?.names ?? [];
  expect(names).toEqual(expect.arrayContaining(users.map((u) => `pv-${tenants.b.id}-${u}-default`)));
  expect(new Set(names).size).toBe(names.length);
  expect(summary.actions.deleteVolume?.count).toBe(names.length);
  expect(summary.failures).toEqual([]);
});
