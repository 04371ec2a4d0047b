// Which claims a copy may mount, against an in-memory cluster: only those the service made for the calling school.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { assertClaimsExist } from '../../../lib/copies/copies.ts';
import { markOwned } from '../../../lib/ownership/ownership.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';

const claim = (name: string): V1PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'tenant-a' },
});

it("finds the school's own claims, and answers every other claim as absent (404), naming each, before anything is made", async () => {
  const resources = new FakeResources();
  await resources.seed(markOwned(claim('pvc-mine'), { tenant: tenants.a.id, user: 'alice', tag: 'default' }));
  await resources.seed(claim('hub-db-dir'));
  await resources.seed(markOwned(claim('pvc-theirs'), { tenant: tenants.b.id, user: 'bob', tag: 'default' }));
  const vols = (...names: string[]) => names.map((pvc, i) => ({ pvc, mount: `/m${i}` }));

  await expect(assertClaimsExist(resources, 'tenant-a', vols('pvc-mine'), tenants.a.id)).resolves.toBeUndefined();
  await expect(
    assertClaimsExist(resources, 'tenant-a', vols('pvc-mine', 'hub-db-dir', 'pvc-theirs', 'nowhere'), tenants.a.id),
  ).rejects.toMatchObject({
    code: 'CLAIM_NOT_FOUND',
    details: { claims: ['hub-db-dir', 'pvc-theirs', 'nowhere'] },
  });
  expect(resources.calls.filter((c) => c.startsWith('create'))).toEqual([]);
});
