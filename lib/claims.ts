// A user's claim: made (refusing a plain claim that would take the user's NFS volume, rebinding a Released one),
// read (with why it is not bound), and deleted (unless pods mount it).
import type { V1PersistentVolume, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { ConflictError, NotFoundError } from './errors.ts';
import { eventTime, latestEvent } from './events.ts';
import type { ObjectRef, Resources } from './kube/resources.ts';
import { createOwned, type Deleted, deleteOwned, describeOwner, getOwned, isOwnedBy } from './ownership.ts';
import { podFinished } from './pods.ts';
import { claimRefs, renderClaim, type VolumeKey, volumeOwner, volumeRefs } from './render/volumes.ts';
import type { RenderScope, TenantScope } from './scope.ts';

/** Added beside a claim's own fields when it is not Bound; the claim itself stays as the API server gave it. */
export interface PendingReason {
  phase: string;
  reason: string;
  message: string;
  /** When the event saying so was last seen, if any did. */
  lastSeen?: string;
}

/** Whether objects are missing, each asked once, from the API server's cache: so that lookups can start early. */
class Absence {
  private readonly asked = new Map<string, Promise<boolean>>();
  private readonly resources: Resources;

  constructor(resources: Resources) {
    this.resources = resources;
  }

  of(ref: ObjectRef): Promise<boolean> {
    const key = `${ref.apiVersion}/${ref.kind}/${ref.name}`;
    let answer = this.asked.get(key);
    if (!answer) {
      answer = this.resources.get(ref, { resourceVersion: '0' }).then(
        () => false,
        (err: unknown) => err instanceof NotFoundError,
      );
      this.asked.set(key, answer);
    }
    return answer;
  }
}

const storageClassRef = (name: string): ObjectRef => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name });

/**
 * Why the claim of key is not Bound; undefined when it is. The usual reasons first, each from one read the API server
 * serves from its cache: a storage class that does not exist, a matching claim's volume that does not exist. Only a
 * claim those say should be progressing is explained by its latest event, in the volume controller's words: events
 * are not cached, and reading them costs in proportion to the namespace's events.
 */
export async function pendingReason(
  resources: Resources,
  scope: RenderScope,
  key: VolumeKey,
  claim: V1PersistentVolumeClaim,
  absence: Absence = new Absence(resources),
): Promise<PendingReason | undefined> {
  const phase = claim.status?.phase ?? 'Pending';
  if (phase === 'Bound') return undefined;
  const storageClass = claim.spec?.storageClassName;
  if (storageClass) {
    if (await absence.of(storageClassRef(storageClass))) {
      const message = `The claim asks for storage class "${storageClass}", which does not exist in the cluster: no volume can be provisioned for it.`;
      return { phase, reason: 'StorageClassNotFound', message };
    }
  } else if (claim.spec?.selector && scope.tenant.resources?.templates?.pv) {
    const volumes = volumeRefs(scope, key);
    if ((await Promise.all(volumes.map((v) => absence.of(v)))).every(Boolean)) {
      return {
        phase,
        reason: 'VolumeNotFound',
        message: `The claim selects volume ${volumes[0]!.name}, which does not exist: create it with POST /service/v1/volumes/pvs.`,
      };
    }
  }
  const latest = await latestEvent(resources, claim, 'PersistentVolumeClaim');
  if (!latest) {
    return { phase, reason: 'NoEvents', message: 'The volume controller has not reported on this claim yet.' };
  }
  return { phase, reason: latest.reason ?? 'Unknown', message: latest.message ?? '', lastSeen: eventTime(latest) };
}

/**
 * The user's claim as the API server gives it, with `pendingReason` beside it while it is not Bound. The storage class
 * the tenant's pvc template names is looked up alongside the claim, so that explaining a Pending plain claim adds no
 * round trip (for a Bound one, that cached read is simply not used); a Pending match claim's volume is read after.
 */
export async function readClaim(scope: TenantScope, key: VolumeKey): Promise<V1PersistentVolumeClaim & { pendingReason?: PendingReason }> {
  const { resources, tenant } = scope;
  const absence = new Absence(resources);
  const templateClass = (tenant.resources?.templates?.pvc?.spec as { storageClassName?: unknown } | undefined)?.storageClassName;
  if (typeof templateClass === 'string' && templateClass) void absence.of(storageClassRef(templateClass));
  const claim = await getOwned<V1PersistentVolumeClaim>(resources, claimRefs(scope, key), volumeOwner(key));
  const pending = await pendingReason(resources, scope, key, claim, absence);
  return pending ? { ...claim, pendingReason: pending } : claim;
}

/**
 * The pods in namespace that mount each of claimNames and have not finished, by claim. Read from the API server's
 * watch cache (resourceVersion 0), not with a consistent read that waits on etcd (about 80 ms): a stale read can miss
 * only a pod created in the last moments before the cache caught up, never one that existed before; and such a pod
 * still keeps its volume, since the cluster's kubernetes.io/pvc-protection finalizer defers a claim's deletion while
 * any pod uses it.
 */
export async function podsUsing(resources: Resources, namespace: string, claimNames: string[]): Promise<Map<string, string[]>> {
  const users = new Map(claimNames.map((n) => [n, [] as string[]]));
  for await (const page of resources.pages<V1Pod>('v1', 'Pod', { namespace, limit: 500, resourceVersion: '0' })) {
    for (const pod of page) {
      if (podFinished(pod)) continue;
      for (const v of pod.spec?.volumes ?? []) users.get(v.persistentVolumeClaim?.claimName ?? '')?.push(pod.metadata!.name!);
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
    getOwned<V1PersistentVolumeClaim>(resources, refs, volumeOwner(key)),
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
    throw new ConflictError(`Claim ${claim.metadata?.name} is still mounted by pod(s) ${pods.join(', ')}; delete them first or pass force=true.`, {
      code: 'CLAIM_IN_USE',
      details: { pods },
    });
  }
  return { deleted: await deleteOwned(resources, claim) };
}

/**
 * A claim made again finds its user's volume still holding the gone claim's uid (Released), which the PV controller
 * never clears: the new claim would stay Pending until cleanup recycles the volume. Clear that uid now, keeping the
 * reservation's name, so the new claim binds within seconds. Only the owner's own volume, reserved for exactly this
 * claim, is touched, and only as it was read (resourceVersion); if anything fails, cleanup's recycle remains, so the
 * created claim's answer never depends on this.
 */
export async function rebindOwnVolume(resources: Resources, volume: V1PersistentVolume | undefined, claim: V1PersistentVolumeClaim): Promise<boolean> {
  let pv = volume;
  for (let attempt = 0; attempt < 3 && pv; attempt++) {
    const ref = pv.spec?.claimRef;
    // The claim of that name and namespace is the one just made, so the uid's claim is gone whatever the phase says.
    if (ref?.uid === undefined || ref.uid === claim.metadata?.uid) return false;
    const target = { apiVersion: 'v1', kind: 'PersistentVolume', name: pv.metadata!.name! };
    const patched = await resources
      .mergePatch(target, { metadata: { resourceVersion: pv.metadata?.resourceVersion }, spec: { claimRef: { uid: null, resourceVersion: null } } })
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
interface Reservations {
  own?: V1PersistentVolume;
  /** A volume of another user, tag or tenant that waits for a claim of one of these names: it must never get it. */
  theirs?: V1PersistentVolume;
}

/**
 * The volumes of key's names (the one made today and the one from before NAME_KEY), read from the watch cache: a
 * volume made in the last moments may be missed, the same race as a volume made just after the claim (see
 * createClaim); a failed read counts as none.
 */
async function reservations(scope: TenantScope, key: VolumeKey, names: string[]): Promise<Reservations> {
  if (!scope.tenant.resources?.templates?.pv) return {};
  const read = (ref: ObjectRef) => scope.resources.get<V1PersistentVolume>(ref, { resourceVersion: '0' }).catch(() => undefined);
  const volumes = (await Promise.all(volumeRefs(scope, key).map(read))).filter((v) => v !== undefined);
  const reservedHere = (v: V1PersistentVolume): boolean => v.spec?.claimRef?.namespace === scope.namespace && names.includes(v.spec?.claimRef?.name ?? '');
  return {
    own: volumes.find((v) => isOwnedBy(v, volumeOwner(key)) && reservedHere(v)),
    theirs: volumes.find((v) => !isOwnedBy(v, volumeOwner(key)) && reservedHere(v)),
  };
}

/** 409 ALREADY_EXISTS when the user's claim exists under one of names (e.g. made before NAME_KEY). */
async function refuseSecondClaim(scope: TenantScope, key: VolumeKey, names: ObjectRef[]): Promise<void> {
  const existing = await Promise.all(names.map((r) => scope.resources.get(r, { resourceVersion: '0' }).catch(() => undefined)));
  const mine = existing.find((c) => c && isOwnedBy(c, volumeOwner(key)));
  if (mine) {
    throw new ConflictError(`PersistentVolumeClaim ${scope.namespace}/${mine.metadata?.name} already exists for ${describeOwner(volumeOwner(key))}.`, {
      code: 'ALREADY_EXISTS',
      details: { name: mine.metadata?.name },
    });
  }
}

/**
 * Creates the user's claim, named as its template renders it, or, where the user's volume is reserved for the name the
 * claim had before NAME_KEY, that name. Refused: a claim whose name another owner's volume is reserved for (it would
 * be bound that volume); and a plain claim (no match) of a user whose NFS volume exists: the volume is pre-bound to the
 * claim's name, which both templates share, so the PV controller would give it to the plain claim whatever its storage
 * class asks. (A volume made after a still-unbound plain claim is not guarded against.) A claim made again rebinds the
 * user's Released volume at once.
 */
export async function createClaim(scope: TenantScope, key: VolumeKey & { match: boolean }): Promise<V1PersistentVolumeClaim> {
  const { resources } = scope;
  const [current, ...older] = claimRefs(scope, key, key.match);
  renderClaim(scope, key, current!.name); // a template the service would refuse is refused before anything is read
  const names = [current!, ...older].map((r) => r.name);
  const { own, theirs } = await reservations(scope, key, names);
  if (theirs) {
    const name = theirs.spec!.claimRef!.name!;
    throw new ConflictError(`The name ${name} is reserved by volume ${theirs.metadata?.name} for another tenant, user or tag; nothing was made.`, {
      code: 'NAME_TAKEN',
      details: { name, volume: theirs.metadata?.name },
    });
  }
  const name = own?.spec?.claimRef?.name ?? current!.name;
  await refuseSecondClaim(
    scope,
    key,
    [current!, ...older].filter((r) => r.name !== name),
  );
  if (!key.match && own) {
    throw new ConflictError(
      `User ${key.username} (tag ${key.tag}) of tenant ${key.tenant} has an NFS volume, ${own.metadata!.name}, reserved for their match claim; create the claim with match: true.`,
      { code: 'VOLUME_RESERVED', details: { volume: own.metadata!.name } },
    );
  }
  const created = await createOwned(resources, renderClaim(scope, key, name), volumeOwner(key));
  if (key.match) await rebindOwnVolume(resources, own, created).catch(() => false);
  return created;
}
