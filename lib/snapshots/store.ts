// Where a tenant's snapshots live: one volume and match claim the service makes for the tenant, at
// <NFS_PREFIX>/<namespace>/.moop-snapshots (inside the tenant's folder, beside the students' volumes, never one of
// theirs), a folder per student named by a hash of (username, tag). Its key's username holds a ':', which no request's
// username may: no caller can ask for the store as a student's volume, nor a notebook get it as one.
import { posix } from 'node:path';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { NotFoundError } from '../errors.ts';
import { shortHash } from '../kube/names.ts';
import { markedTenant } from '../ownership/ownership.ts';
import { findStorage, makeStorage } from '../provisioning/student.ts';
import type { TenantScope } from '../tenants/scope.ts';
import { claimRefs, type VolumeKey } from '../volumes/key.ts';

/** The store's key within its tenant. */
export const storeKey: VolumeKey = { username: 'moop:snapshots', tag: 'store' };

/** The store's folder below the tenant's own (the namespace's) folder. */
export const storeFolder = '.moop-snapshots';

/** A student's folder in the store: the same for the same (username, tag), and no name a person chose. */
export const studentFolder = (key: VolumeKey): string => shortHash(['snapshots', key.username, key.tag], 20);

/** The archive of snapshot id, within the student's folder. */
export const archiveName = (id: string): string => `${id}.tar.gz`;

/** The store's claim, its volume and claim made the first time (the claim binds on the cluster's time). */
export async function storeClaim(scope: TenantScope): Promise<string> {
  const path = posix.join(scope.namespace, storeFolder);
  const made = await makeStorage(scope, { ...storeKey, path }, await findStorage(scope, storeKey));
  return made.claim.metadata!.name!;
}

/** The student's claim (the tenant's own, whatever its name form): 404 CLAIM_NOT_FOUND when they have none. */
export async function studentClaim(scope: TenantScope, key: VolumeKey): Promise<V1PersistentVolumeClaim> {
  for (const ref of claimRefs(scope, key)) {
    const claim = await scope.resources.get<V1PersistentVolumeClaim>(ref).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
    if (claim && markedTenant(claim) === scope.tenant.id) return claim;
  }
  throw new NotFoundError(`${key.username} has no claim (tag ${key.tag}) in namespace ${scope.namespace}.`, {
    code: 'CLAIM_NOT_FOUND',
    details: { username: key.username, tag: key.tag },
  });
}
