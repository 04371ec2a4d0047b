// What the API server knows about a claim beyond the claim itself: why it is not bound, and which pods mount it.
import type { CoreV1Event, V1PersistentVolume, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { ConflictError, NotFoundError } from './errors.ts';
import type { ObjectRef, Resources } from './kube/resources.ts';
import { createOwned } from './owned.ts';
import { isOwnedBy } from './owner.ts';
import { renderClaim, volumeOwner, volumeRef, type VolumeKey } from './render/volumes.ts';
import { tenantNamespace, type Tenant } from './tenants/tenant.ts';

/** Added beside a claim's own fields when it is not Bound; the claim itself stays as the API server gave it. */
export interface PendingReason {
  phase: string;
  reason: string;
  message: string;
  /** When the event saying so was last seen, if any did. */
  lastSeen?: string;
}

const when = (e: CoreV1Event): string => e.lastTimestamp?.toString() ?? e.eventTime?.toString() ?? e.metadata.creationTimestamp?.toString() ?? '';

/** Why claim is not Bound, from its most recent event; undefined when it is Bound. */
export async function pendingReason(resources: Resources, claim: V1PersistentVolumeClaim): Promise<PendingReason | undefined> {
  const phase = claim.status?.phase ?? 'Pending';
  if (phase === 'Bound') return undefined;
  const { items } = await resources.list<CoreV1Event>('v1', 'Event', {
    namespace: claim.metadata?.namespace,
    fieldSelector: `involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${claim.metadata?.name},involvedObject.uid=${claim.metadata?.uid}`,
  });
  const latest = items.sort((a, b) => when(b).localeCompare(when(a)))[0];
  if (!latest) {
    return { phase, reason: 'NoEvents', message: 'The volume controller has not reported on this claim yet.' };
  }
  return { phase, reason: latest.reason ?? 'Unknown', message: latest.message ?? '', lastSeen: when(latest) };
}

/** Names of the pods in the claim's namespace that mount it and have not finished. */
export async function podsUsing(resources: Resources, claim: V1PersistentVolumeClaim): Promise<string[]> {
  const users: string[] = [];
  let token: string | undefined;
  do {
    const page = await resources.list<V1Pod>('v1', 'Pod', { namespace: claim.metadata?.namespace, limit: 500, continue: token });
    for (const pod of page.items) {
      const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
      if (!finished && pod.spec?.volumes?.some((v) => v.persistentVolumeClaim?.claimName === claim.metadata?.name)) users.push(pod.metadata!.name!);
    }
    token = page.continue;
  } while (token);
  return users;
}

/** 409 naming the pods that still mount claim, unless force. */
export async function assertClaimUnused(resources: Resources, claim: V1PersistentVolumeClaim, force: boolean): Promise<void> {
  if (force) return;
  const pods = await podsUsing(resources, claim);
  if (pods.length > 0) {
    throw new ConflictError(`Claim ${claim.metadata?.name} is still mounted by pod(s) ${pods.join(', ')}; delete them first or pass force=true.`, {
      code: 'CLAIM_IN_USE',
      details: { pods },
    });
  }
}

/**
 * A claim made again finds its user's volume still holding the gone claim's uid (Released), which the PV controller
 * never clears: the new claim would stay Pending until cleanup recycles the volume. Clear that uid now, keeping the
 * reservation's name, so the new claim binds within seconds. Only the owner's own volume, reserved for exactly this
 * claim, is touched, and only as it was read (resourceVersion); if anything fails, cleanup's recycle remains, so the
 * created claim's answer never depends on this.
 */
export async function rebindOwnVolume(resources: Resources, tenant: Tenant, key: VolumeKey, claim: V1PersistentVolumeClaim): Promise<boolean> {
  if (!tenant.resources?.templates?.pv) return false;
  const volume: ObjectRef = volumeRef(tenant, key);
  const owner = volumeOwner(key);
  for (let attempt = 0; attempt < 3; attempt++) {
    const pv = await resources.get<V1PersistentVolume>(volume).catch(() => undefined);
    const ref = pv?.spec?.claimRef;
    const stale = ref?.uid !== undefined && ref.uid !== claim.metadata?.uid;
    if (!pv || !isOwnedBy(pv, owner) || !stale || ref.name !== claim.metadata?.name || ref.namespace !== claim.metadata?.namespace) return false;
    // The claim of that name and namespace is the one just made, so the uid's claim is gone whatever the phase says.
    const patched = await resources
      .mergePatch(volume, { metadata: { resourceVersion: pv.metadata?.resourceVersion }, spec: { claimRef: { uid: null, resourceVersion: null } } })
      .then(() => true, (err: unknown) => (err instanceof ConflictError ? undefined : false));
    if (patched !== undefined) return patched;
  }
  return false;
}

/** The user's own volume, reserved for exactly this claim name, if there is one. */
async function reservedVolume(resources: Resources, tenant: Tenant, key: VolumeKey, claim: V1PersistentVolumeClaim): Promise<V1PersistentVolume | undefined> {
  if (!tenant.resources?.templates?.pv) return undefined;
  const pv = await resources.get<V1PersistentVolume>(volumeRef(tenant, key)).catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });
  const ref = pv?.spec?.claimRef;
  return pv && isOwnedBy(pv, volumeOwner(key)) && ref?.name === claim.metadata?.name && ref?.namespace === claim.metadata?.namespace ? pv : undefined;
}

/**
 * Creates the user's claim. A plain claim (no match) of a user whose NFS volume exists is refused: the volume is
 * pre-bound to the claim's name, which both templates share, so the PV controller would give it to the plain claim
 * whatever its storage class asks. A claim made again rebinds the user's Released volume at once.
 */
export async function createClaim(resources: Resources, tenant: Tenant, key: VolumeKey & { match: boolean }): Promise<V1PersistentVolumeClaim> {
  const claim = renderClaim(tenant, key, tenantNamespace(tenant));
  if (!key.match) {
    const volume = await reservedVolume(resources, tenant, key, claim);
    if (volume) {
      const name = volume.metadata!.name!;
      throw new ConflictError(
        `User ${key.username} (tag ${key.tag}) of tenant ${key.tenant} has an NFS volume, ${name}, reserved for their match claim; create the claim with match: true.`,
        { code: 'VOLUME_RESERVED', details: { volume: name } },
      );
    }
  }
  const created = await createOwned(resources, claim, volumeOwner(key));
  await rebindOwnVolume(resources, tenant, key, created);
  return created;
}
