// The volumes a claim's names are reserved by: the user's own (rebound at once when the claim is made again) and
// another owner's (whose data a claim of that name would be bound to, so it is never made).
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { ConflictError } from '../errors.ts';
import type { ObjectRef } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { describeOwner, isOwnedBy } from '../ownership/ownership.ts';
import type { TenantScope } from '../tenants/scope.ts';
import { type VolumeKey, volumeOwner, volumeRefs } from '../volumes/key.ts';

/**
 * A claim made again finds its user's volume still holding the gone claim's uid (Released), which the PV controller
 * never clears: the new claim would stay Pending until cleanup recycles the volume. Clear that uid now, keeping the
 * reservation's name, so the new claim binds within seconds. Only the owner's own volume, reserved for exactly this
 * claim, is touched, and only as it was read (resourceVersion); if anything fails, cleanup's recycle remains, so the
 * created claim's answer never depends on this.
 */
export async function rebindOwnVolume(
  resources: ResourceClient,
  volume: V1PersistentVolume | undefined,
  claim: V1PersistentVolumeClaim,
): Promise<boolean> {
  let pv = volume;
  for (let attempt = 0; attempt < 3 && pv; attempt++) {
    const ref = pv.spec?.claimRef;
    // The claim of that name and namespace is the one just made, so the uid's claim is gone whatever the phase says.
    if (ref?.uid === undefined || ref.uid === claim.metadata?.uid) return false;
    const target = { apiVersion: 'v1', kind: 'PersistentVolume', name: pv.metadata!.name! };
    const patched = await resources
      .mergePatch(target, {
        metadata: { resourceVersion: pv.metadata?.resourceVersion },
        spec: { claimRef: { uid: null, resourceVersion: null } },
      })
      .then(
        () => true,
        (err: unknown) => (err instanceof ConflictError ? undefined : false),
      );
    if (patched !== undefined) return patched;
    pv = await resources.get<V1PersistentVolume>(target).catch(() => undefined);
  }
  return false;
}

/** What the volumes of key's names say about a claim: the user's own, and another owner's reserved for one of names. */
export interface Reservations {
  own?: V1PersistentVolume;
  /** A volume of another user, tag or tenant that waits for a claim of one of these names: it must never get it. */
  theirs?: V1PersistentVolume;
}

/**
 * The volumes of key's names (the one made today and the one from before NAME_KEY), read from the watch cache: a
 * volume made in the last moments may be missed, the same race as a volume made just after the claim (see
 * createClaim); a failed read counts as none.
 */
export async function reservations(scope: TenantScope, key: VolumeKey, names: string[]): Promise<Reservations> {
  if (!scope.tenant.resources?.templates?.pv) return {};
  const read = (ref: ObjectRef) =>
    scope.resources.get<V1PersistentVolume>(ref, { resourceVersion: '0' }).catch(() => undefined);
  const volumes = (await Promise.all(volumeRefs(scope, key).map(read))).filter((v) => v !== undefined);
  const reservedHere = (v: V1PersistentVolume): boolean =>
    v.spec?.claimRef?.namespace === scope.namespace && names.includes(v.spec?.claimRef?.name ?? '');
  return {
    own: volumes.find((v) => isOwnedBy(v, volumeOwner(scope, key)) && reservedHere(v)),
    theirs: volumes.find((v) => !isOwnedBy(v, volumeOwner(scope, key)) && reservedHere(v)),
  };
}

/** 409 ALREADY_EXISTS when the user's claim exists under one of names (e.g. made before NAME_KEY). */
export async function refuseSecondClaim(scope: TenantScope, key: VolumeKey, names: ObjectRef[]): Promise<void> {
  const existing = await Promise.all(
    names.map((r) => scope.resources.get(r, { resourceVersion: '0' }).catch(() => undefined)),
  );
  const mine = existing.find((c) => c && isOwnedBy(c, volumeOwner(scope, key)));
  if (mine) {
    throw new ConflictError(
      `PersistentVolumeClaim ${scope.namespace}/${mine.metadata?.name} already exists for ${describeOwner(volumeOwner(scope, key))}.`,
      {
        code: 'ALREADY_EXISTS',
        details: { name: mine.metadata?.name },
      },
    );
  }
}
