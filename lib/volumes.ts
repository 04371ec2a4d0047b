// A user's NFS PersistentVolume: made from the tenant's pv template (reserved for the user's claim), read, deleted.
// Deleting one leaves its NFS data in place.
import type { V1PersistentVolume } from '@kubernetes/client-node';
import { createOwned, type Deleted, deleteOwned, getOwned } from './ownership.ts';
import { renderVolume, type VolumeKey, volumeOwner, volumeRef } from './render/volumes.ts';
import type { TenantScope } from './scope.ts';

/** Creates the user's volume at path under the NFS prefix. */
export function createVolume({ resources, tenant, namespace, settings }: TenantScope, input: VolumeKey & { path: string }): Promise<V1PersistentVolume> {
  return createOwned(resources, renderVolume(tenant, input, settings.nfs, namespace), volumeOwner(input));
}

/** The user's volume of that tag, if it is theirs. */
export function readVolume({ resources, tenant }: TenantScope, key: VolumeKey): Promise<V1PersistentVolume> {
  return getOwned<V1PersistentVolume>(resources, volumeRef(tenant, key), volumeOwner(key));
}

/** Deletes the user's volume of that tag. */
export async function deleteVolume(scope: TenantScope, key: VolumeKey): Promise<Deleted> {
  return { deleted: await deleteOwned(scope.resources, await readVolume(scope, key)) };
}
