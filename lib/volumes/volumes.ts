// A user's NFS PersistentVolume: made from the tenant's pv template (reserved for the user's claim), read, deleted.
// Deleting one leaves its NFS data in place.
import type { KubernetesObject, V1PersistentVolume } from '@kubernetes/client-node';
import { ConflictError } from '../errors.ts';
import type { ObjectRef } from '../kube/objects.ts';
import { createOwned, type Deleted, deleteOwned, describeOwner, getOwned, isOwnedBy } from '../ownership/ownership.ts';
import type { TenantScope } from '../tenants/scope.ts';
import { reservationRefs, type VolumeKey, volumeOwner, volumeRefs } from './key.ts';
import { renderVolume } from './render.ts';

const readCached = (scope: TenantScope, ref: ObjectRef): Promise<KubernetesObject | undefined> =>
  scope.resources.get(ref, { resourceVersion: '0' }).catch(() => undefined);

/**
 * The name of the claim key's volume is reserved for: the user's claim's own, where it exists (under the name it had
 * before NAME_KEY too), else the name the claim template renders today. 409 when a claim of that name exists and is
 * another owner's: the volume would be bound to it.
 */
async function reservedClaimName(scope: TenantScope, key: VolumeKey): Promise<string> {
  const names = reservationRefs(scope, key);
  const first = names[0]!;
  const claims = await Promise.all(names.map((r) => readCached(scope, r)));
  const mine = claims.find((c) => c && isOwnedBy(c, volumeOwner(scope, key)));
  if (mine) return mine.metadata!.name!;
  if (claims[0]) {
    throw new ConflictError(
      `The claim ${first.name} this volume would be reserved for is another tenant's, user's or tag's; nothing was made.`,
      {
        code: 'NAME_TAKEN',
        details: { name: first.name },
      },
    );
  }
  return first.name;
}

/** Creates the user's volume at path under the NFS prefix, reserved for the user's claim. */
export async function createVolume(
  scope: TenantScope,
  input: VolumeKey & { path: string },
): Promise<V1PersistentVolume> {
  const [current, ...older] = volumeRefs(scope, input);
  // Rendered first: a path or template the service refuses is refused before anything is read.
  const volume = renderVolume(scope, input, { name: current!.name, claimName: reservationRefs(scope, input)[0]!.name });
  // The user's volume made before NAME_KEY keeps its name: a second one is never made beside it.
  const before = (await Promise.all(older.map((r) => readCached(scope, r)))).find(
    (v) => v && isOwnedBy(v, volumeOwner(scope, input)),
  );
  if (before) {
    throw new ConflictError(
      `PersistentVolume ${before.metadata?.name} already exists for ${describeOwner(volumeOwner(scope, input))}.`,
      {
        code: 'ALREADY_EXISTS',
        details: { name: before.metadata?.name },
      },
    );
  }
  const claimName = await reservedClaimName(scope, input);
  const reserved = { ...volume, spec: { ...volume.spec, claimRef: { ...volume.spec!.claimRef, name: claimName } } };
  return createOwned(scope.resources, reserved, volumeOwner(scope, input));
}

/** The user's volume of that tag, if it is theirs. */
export function readVolume(scope: TenantScope, key: VolumeKey): Promise<V1PersistentVolume> {
  return getOwned<V1PersistentVolume>(scope.resources, volumeRefs(scope, key), volumeOwner(scope, key));
}

/** Deletes the user's volume of that tag. */
export async function deleteVolume(scope: TenantScope, key: VolumeKey): Promise<Deleted> {
  return { deleted: await deleteOwned(scope.resources, await readVolume(scope, key)) };
}
