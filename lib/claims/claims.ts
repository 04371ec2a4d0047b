// A user's claim: made (refusing a plain claim that would take the user's NFS volume, or a name another owner's volume
// is reserved for; rebinding a Released one), read (with why it is not bound), and deleted (unless pods mount it).
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { ConflictError } from '../errors.ts';
import { podFinished } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { createOwned, type Deleted, deleteOwned, getOwned } from '../ownership/ownership.ts';
import type { TenantScope } from '../tenants/scope.ts';
import { claimRefs, type VolumeKey, volumeOwner } from '../volumes/key.ts';
import { Absence, type PendingReason, pendingReason, storageClassRef } from './pending.ts';
import { renderClaim } from './render.ts';
import { rebindOwnVolume, refuseSecondClaim, reservations } from './reservations.ts';

/**
 * The user's claim as the API server gives it, with `pendingReason` beside it while it is not Bound. The storage class
 * the tenant's pvc template names is looked up alongside the claim, so that explaining a Pending plain claim adds no
 * round trip (for a Bound one, that cached read is simply not used); a Pending match claim's volume is read after.
 */
export async function readClaim(
  scope: TenantScope,
  key: VolumeKey,
): Promise<V1PersistentVolumeClaim & { pendingReason?: PendingReason }> {
  const { resources, tenant } = scope;
  const absence = new Absence(resources);
  const templateClass = (tenant.resources?.templates?.pvc?.spec as { storageClassName?: unknown } | undefined)
    ?.storageClassName;
  if (typeof templateClass === 'string' && templateClass) void absence.of(storageClassRef(templateClass));
  // The early lookup ends before the answer, even when it was not needed: a Lambda freezes what still runs after it
  // answers, and the read would resume in the next invocation, counted in that request's metrics.
  try {
    const claim = await getOwned<V1PersistentVolumeClaim>(resources, claimRefs(scope, key), volumeOwner(scope, key));
    const pending = await pendingReason(resources, scope, key, claim, absence);
    return pending ? { ...claim, pendingReason: pending } : claim;
  } finally {
    await absence.settled();
  }
}

/**
 * The pods in namespace that mount each of claimNames and have not finished, by claim. Read from the API server's
 * watch cache (resourceVersion 0), not with a consistent read that waits on etcd (about 80 ms): a stale read can miss
 * only a pod created in the last moments before the cache caught up, never one that existed before; and such a pod
 * still keeps its volume, since the cluster's kubernetes.io/pvc-protection finalizer defers a claim's deletion while
 * any pod uses it.
 */
export async function podsUsing(
  resources: ResourceClient,
  namespace: string,
  claimNames: string[],
): Promise<Map<string, string[]>> {
  const users = new Map(claimNames.map((n) => [n, [] as string[]]));
  for await (const page of resources.pages<V1Pod>('v1', 'Pod', { namespace, limit: 500, resourceVersion: '0' })) {
    for (const pod of page) {
      if (podFinished(pod)) continue;
      for (const v of pod.spec?.volumes ?? [])
        users.get(v.persistentVolumeClaim?.claimName ?? '')?.push(pod.metadata!.name!);
    }
  }
  return users;
}

/**
 * Deletes the user's claim unless pods still mount it (409 naming them, unless force). The claim and its users are
 * read at once: the claim's possible names are known from the request.
 */
export async function deleteClaim(scope: TenantScope, key: VolumeKey & { force: boolean }): Promise<Deleted> {
  const { resources, namespace } = scope;
  const refs = claimRefs(scope, key);
  const [claim, users] = await Promise.all([
    getOwned<V1PersistentVolumeClaim>(resources, refs, volumeOwner(scope, key)),
    key.force
      ? undefined
      : podsUsing(
          resources,
          namespace,
          refs.map((r) => r.name),
        ),
  ]);
  const pods = users?.get(claim.metadata!.name!) ?? [];
  if (pods.length > 0) {
    throw new ConflictError(
      `Claim ${claim.metadata?.name} is still mounted by pod(s) ${pods.join(', ')}; delete them first or pass force=true.`,
      {
        code: 'CLAIM_IN_USE',
        details: { pods },
      },
    );
  }
  return { deleted: await deleteOwned(resources, claim) };
}

/**
 * Creates the user's claim, named as its template renders it, or, where the user's volume is reserved for the name the
 * claim had before NAME_KEY, that name. Refused: a claim whose name another owner's volume is reserved for (it would
 * be bound that volume); and a plain claim (no match) of a user whose NFS volume exists: the volume is pre-bound to the
 * claim's name, which both templates share, so the PV controller would give it to the plain claim whatever its storage
 * class asks. (A volume made after a still-unbound plain claim is not guarded against.) A claim made again rebinds the
 * user's Released volume at once.
 */
export async function createClaim(
  scope: TenantScope,
  key: VolumeKey & { match: boolean },
): Promise<V1PersistentVolumeClaim> {
  const { resources } = scope;
  const [current, ...older] = claimRefs(scope, key, key.match);
  renderClaim(scope, key, current!.name); // a template the service would refuse is refused before anything is read
  const names = [current!, ...older].map((r) => r.name);
  const { own, theirs } = await reservations(scope, key, names);
  if (theirs) {
    const name = theirs.spec!.claimRef!.name!;
    throw new ConflictError(
      `The name ${name} is reserved by volume ${theirs.metadata?.name} for another tenant, user or tag; nothing was made.`,
      {
        code: 'NAME_TAKEN',
        details: { name, volume: theirs.metadata?.name },
      },
    );
  }
  const name = own?.spec?.claimRef?.name ?? current!.name;
  await refuseSecondClaim(
    scope,
    key,
    [current!, ...older].filter((r) => r.name !== name),
  );
  if (!key.match && own) {
    throw new ConflictError(
      `User ${key.username} (tag ${key.tag}) of tenant ${scope.tenant.id} has an NFS volume, ${own.metadata!.name}, reserved for their match claim; create the claim with match: true.`,
      { code: 'VOLUME_RESERVED', details: { volume: own.metadata!.name } },
    );
  }
  const created = await createOwned(resources, renderClaim(scope, key, name), volumeOwner(scope, key));
  if (key.match) await rebindOwnVolume(resources, own, created).catch(() => false);
  return created;
}
