import { templateNamePattern } from '../../../lib/adoption/adoption.ts';
import {
  adoptionMarks,
  belongsToTenant,
  describeOwner,
  isAdopted,
  isOwnedBy,
  markOwned,
  ownerSelector,
} from '../../../lib/ownership/ownership.ts';
import { TenantSchema } from '../../../lib/tenants/tenant.ts';
import { tenants } from '../../fixtures/tenants.ts';

const owner = { tenant: 't1', user: 'Élodie M.', tag: 'default' };

describe('markOwned and isOwnedBy', () => {
  it('marks an object so that only its owner is recognised', () => {
    const obj = markOwned(
      { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'x', labels: { pv: 'x' } } },
      owner,
    );

    expect(obj.metadata).toEqual({
      name: 'x',
      labels: {
        pv: 'x',
        'app.kubernetes.io/managed-by': 'moop-resource-service',
        'moop.io/tenant': 't1',
        'moop.io/user': expect.stringMatching(/^elodie-m-[a-z2-7]{10}$/),
        'moop.io/tag': 'default',
      },
      annotations: { 'moop.io/tenant': 't1', 'moop.io/user': 'Élodie M.', 'moop.io/tag': 'default' },
    });
    expect(isOwnedBy(obj, owner)).toBe(true);
    expect(isOwnedBy(obj, { ...owner, user: 'Elodie M.' })).toBe(false);
    expect(isOwnedBy(obj, { ...owner, tenant: 't2' })).toBe(false);
    expect(isOwnedBy(obj, { ...owner, tag: 'exam' })).toBe(false);
  });

  it('does not recognise an object the service did not make, whatever its annotations', () => {
    const forged = {
      metadata: { annotations: { 'moop.io/tenant': 't1', 'moop.io/user': 'Élodie M.', 'moop.io/tag': 'default' } },
    };
    expect(isOwnedBy(forged, owner)).toBe(false);
  });

  it('gives a label selector and a description for messages', () => {
    expect(ownerSelector({ tenant: 't1' })).toBe(
      'app.kubernetes.io/managed-by=moop-resource-service,moop.io/tenant=t1',
    );
    expect(describeOwner(owner)).toBe('tenant t1, user Élodie M., tag default');
  });
});

describe('adopted objects of the old services', () => {
  const tenant = '5c88a9ec5b6c2e3c4a3b2d1a';
  const adopted = {
    metadata: { name: `pvc-${tenant}-john.doe-default`, ...adoptionMarks(tenant, new Date('2026-11-22T10:00:00Z')) },
  };

  it('carry the service label, the tenant and when they were adopted, but no user or tag', () => {
    expect(adopted.metadata).toEqual({
      name: `pvc-${tenant}-john.doe-default`,
      labels: { 'app.kubernetes.io/managed-by': 'moop-resource-service', 'moop.io/tenant': tenant },
      annotations: { 'moop.io/tenant': tenant, 'moop.io/adopted': '2026-11-22T10:00:00.000Z' },
    });
    expect(isAdopted(adopted)).toBe(true);
  });

  it("belong to any (user, tag) of their tenant that looks them up by name, and never to another tenant's", () => {
    expect(isOwnedBy(adopted, { tenant, user: 'john.doe', tag: 'default' })).toBe(true);
    expect(isOwnedBy(adopted, { tenant })).toBe(true);
    expect(isOwnedBy(adopted, { tenant: '5c88a9ec5b6c2e3c4a3b2d1b', user: 'john.doe', tag: 'default' })).toBe(false);
    expect(belongsToTenant(adopted, tenant)).toBe(true);
  });

  it('are not what the service made itself: an object with user and tag marks is decided by them', () => {
    const made = markOwned(
      { metadata: { name: 'x', annotations: { 'moop.io/adopted': 'forged' } } },
      { tenant, user: 'a', tag: 'b' },
    );
    expect(isAdopted(made)).toBe(false);
    expect(isOwnedBy(made, { tenant, user: 'c', tag: 'b' })).toBe(false);
  });
});

describe('templateNamePattern', () => {
  const tenant = TenantSchema.parse(tenants.a);

  it("matches the names the tenant's templates render for it, and no other tenant's", () => {
    const pv = templateNamePattern(tenant, 'pv')!;
    const pod = templateNamePattern(tenant, 'pod')!;
    expect(pv.test(`pv-${tenant.id}-john.doe-default`)).toBe(true);
    expect(pv.test(`pv-${tenants.b.id}-john.doe-default`)).toBe(false);
    expect(pv.test(`pv-${tenant.id}-`)).toBe(false);
    expect(pod.test(`job-${tenant.id}-0b9a4a36-2f0c-4c8e-9a59-3f1f7c1d2e4b`)).toBe(true);
    expect(pod.test(`jupyter-${tenant.id}`)).toBe(false);
  });

  it('is undefined for a template the tenant does not have', () => {
    expect(templateNamePattern(TenantSchema.parse(tenants.noTemplates), 'pv')).toBeUndefined();
  });
});
