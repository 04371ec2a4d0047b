// Creating, reading and deleting only as the owner, against an in-memory cluster.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { createOwned, deleteOwned, getOwned, markOwned } from '../../../lib/ownership/ownership.ts';
import { FakeResources } from '../../support/fake-resources.ts';

const owner = { tenant: '5c88a9ec5b6c2e3c4a3b2d1a', user: 'alice', tag: 'default' };
const other = { ...owner, user: 'mallory' };
const claim = (name: string): V1PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 't' },
});
const ref = (name: string) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 't', name });

describe('createOwned', () => {
  it("tells the owner's own object (ALREADY_EXISTS) from another owner's of the name (NAME_TAKEN), changing nothing", async () => {
    const resources = new FakeResources();
    await resources.seed(markOwned(claim('c'), owner));
    await expect(createOwned(resources, markOwned(claim('c'), owner), owner)).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    await expect(createOwned(resources, markOwned(claim('c'), other), other)).rejects.toMatchObject({
      code: 'NAME_TAKEN',
      details: { name: 'c' },
    });
    expect((await resources.get(ref('c'))).metadata?.annotations?.['moop.io/user']).toBe('alice');
  });
});

describe('getOwned and deleteOwned', () => {
  it("read the first of the names that is the owner's, and never another's object of a name", async () => {
    const resources = new FakeResources();
    await resources.seed(markOwned(claim('new-name'), other));
    await resources.seed(markOwned(claim('old-name'), owner));
    const found = await getOwned<V1PersistentVolumeClaim>(resources, [ref('new-name'), ref('old-name')], owner);
    expect(found.metadata?.name).toBe('old-name');
    await expect(getOwned(resources, [ref('new-name')], owner)).rejects.toMatchObject({ code: 'OBJECT_NOT_FOUND' });
    expect(await deleteOwned(resources, found)).toBe('old-name');
    await expect(resources.get(ref('old-name'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('delete nothing that was replaced since it was read (another uid)', async () => {
    const resources = new FakeResources();
    const read = await resources.seed(markOwned(claim('c'), owner));
    await resources.delete(ref('c'));
    await resources.seed(markOwned(claim('c'), owner));
    await expect(deleteOwned(resources, read)).rejects.toMatchObject({ code: 'OBJECT_NOT_FOUND' });
  });
});
