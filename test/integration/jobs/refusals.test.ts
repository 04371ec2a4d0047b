// What the cluster refuses a copy: a quota of the tenant's namespace used up is a 409 QUOTA_EXCEEDED, and nothing is
// made.
import { tenants } from '../../fixtures/tenants.ts';
import { call } from '../../support/api.ts';
import { admin, until } from '../../support/cluster.ts';
import { managedNames } from '../../support/managed.ts';

const namespace = 'tenant-quota';
const { core } = admin();

beforeAll(async () => {
  await core.createNamespacedResourceQuota({
    namespace,
    body: { metadata: { name: 'no-copies' }, spec: { hard: { pods: '0' } } },
  });
  // Admission refuses everything while the quota controller has not yet filled in the quota's status.
  await until(
    'the quota controller to compute the quota',
    async () => (await core.readNamespacedResourceQuota({ name: 'no-copies', namespace })).status?.hard !== undefined,
  );
});
afterAll(() => core.deleteNamespacedResourceQuota({ name: 'no-copies', namespace }));

it("answers a copy that the namespace's quota does not allow with 409 QUOTA_EXCEEDED, making nothing", async () => {
  const before = await managedNames();

  const refused = await call('POST', '/service/v1/pods', { body: { tenant: tenants.quota.id, cmd: 'true' } });

  expect(refused).toEqual({
    status: 409,
    body: {
      error: expect.stringMatching(
        /^The tenant's namespace has used up a quota: pods "job-5c88a9ec5b6c2e3c4a3b2d2b-[a-z2-7]{8}" is forbidden: exceeded quota: no-copies, requested: pods=1, used: pods=0, limited: pods=0$/,
      ),
      code: 'QUOTA_EXCEEDED',
    },
  });
  expect(await managedNames()).toEqual(before);
});
