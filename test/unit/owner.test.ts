import { describeOwner, isOwnedBy, markOwned, ownerSelector } from '../../lib/owner.ts';

const owner = { tenant: 't1', user: 'Élodie M.', tag: 'default' };

describe('markOwned and isOwnedBy', () => {
  it('marks an object so that only its owner is recognised', () => {
    const obj = markOwned({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'x', labels: { pv: 'x' } } }, owner);

    expect(obj.metadata).toEqual({
      name: 'x',
      labels: { pv: 'x', 'app.kubernetes.io/managed-by': 'moop-resource-service', 'moop.io/tenant': 't1', 'moop.io/user': expect.stringMatching(/^elodie-m-[a-z2-7]{10}$/), 'moop.io/tag': 'default' },
      annotations: { 'moop.io/tenant': 't1', 'moop.io/user': 'Élodie M.', 'moop.io/tag': 'default' },
    });
    expect(isOwnedBy(obj, owner)).toBe(true);
    expect(isOwnedBy(obj, { ...owner, user: 'Elodie M.' })).toBe(false);
    expect(isOwnedBy(obj, { ...owner, tenant: 't2' })).toBe(false);
    expect(isOwnedBy(obj, { ...owner, tag: 'exam' })).toBe(false);
  });

  it('does not recognise an object the service did not make, whatever its annotations', () => {
    const forged = { metadata: { annotations: { 'moop.io/tenant': 't1', 'moop.io/user': 'Élodie M.', 'moop.io/tag': 'default' } } };
    expect(isOwnedBy(forged, owner)).toBe(false);
  });

  it('gives a label selector and a description for messages', () => {
    expect(ownerSelector({ tenant: 't1' })).toBe('app.kubernetes.io/managed-by=moop-resource-service,moop.io/tenant=t1');
    expect(describeOwner(owner)).toBe('tenant t1, user Élodie M., tag default');
  });
});
