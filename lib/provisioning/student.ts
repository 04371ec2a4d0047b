// One student's storage in one call: the volume and the match claim made together (what this call made is removed
// again if the rest fails; what the student already had is kept and answered as existing, so a retry after a timeout
// completes), waited for until the claim is Bound; and removed together, the claim before the volume.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesObject, V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { createClaim, podsUsing } from '../claims/claims.ts';
import { pendingReason } from '../claims/pending.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { refOf } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { deleteOwned, describeOwner, getOwned } from '../ownership/ownership.ts';
import type { TenantScope } from '../tenants/scope.ts';
import { reservationRefs, type VolumeKey, volumeOwner, volumeRefs } from '../volumes/key.ts';
import { renderVolume } from '../volumes/render.ts';
import { createVolume } from '../volumes/volumes.ts';

/** What a student has of their storage: their volume and their match claim, each where it exists. */
export interface StudentStorage {
  volume?: V1PersistentVolume;
  claim?: V1PersistentVolumeClaim;
}

/** A student's storage once provisioned: whether this call made any of it. */
export interface Provisioning {
  status: 'created' | 'existing';
  volume: V1PersistentVolume;
  claim: V1PersistentVolumeClaim;
}

const absentAsUndefined = (err: unknown): undefined => {
  if (err instanceof NotFoundError) return undefined;
  throw err;
};

/** The student's own volume and match claim, read (consistently) where they exist. */
export async function findStorage(scope: TenantScope, key: VolumeKey): Promise<StudentStorage> {
  const owner = volumeOwner(scope, key);
  const [volume, claim] = await Promise.all([
    getOwned<V1PersistentVolume>(scope.resources, volumeRefs(scope, key), owner).catch(absentAsUndefined),
    getOwned<V1PersistentVolumeClaim>(scope.resources, reservationRefs(scope, key), owner).catch(absentAsUndefined),
  ]);
  return { volume, claim };
}

/**
 * make's object, or, when it says the owner's object exists already (made meanwhile by a concurrent call, or missed
 * by a cached read), that object, read: the same student asked for twice is provisioned once.
 */
async function madeOrFound<T extends KubernetesObject>(
  make: () => Promise<T>,
  find: () => Promise<T | undefined>,
  made: KubernetesObject[],
): Promise<T> {
  try {
    const obj = await make();
    made.push(obj);
    return obj;
  } catch (err) {
    if (!(err instanceof ConflictError) || err.code !== 'ALREADY_EXISTS') throw err;
    const found = await find();
    if (!found) throw err;
    return found;
  }
}

/** 409 when the student's volume exists at another path than asked: it is never moved, and never made twice. */
function assertSamePath(scope: TenantScope, input: VolumeKey & { path: string }, volume: V1PersistentVolume): void {
  const claimName = volume.spec?.claimRef?.name ?? reservationRefs(scope, input)[0]!.name;
  const asked = renderVolume(scope, input, { name: volume.metadata!.name!, claimName }).spec?.nfs?.path;
  const actual = volume.spec?.nfs?.path;
  if (asked !== undefined && actual !== undefined && asked !== actual) {
    throw new ConflictError(
      `The volume of ${describeOwner(volumeOwner(scope, input))}, ${volume.metadata?.name}, exists at ${actual}, not ${asked}; nothing was changed.`,
      { code: 'ALREADY_EXISTS', details: { name: volume.metadata?.name, path: actual } },
    );
  }
}

/** Removes what a failed call made, newest first; what cannot be removed is found as existing by a retry. */
async function undo(resources: ResourceClient, made: KubernetesObject[]): Promise<void> {
  for (const obj of made.reverse()) await deleteOwned(resources, obj).catch(() => undefined);
}

/**
 * The student's volume at path and their match claim: those in found are kept (a volume at another path is a 409),
 * the others made. On any failure what this call made is removed again, and the failure is thrown.
 */
export async function makeStorage(
  scope: TenantScope,
  input: VolumeKey & { path: string },
  found: StudentStorage,
): Promise<Provisioning> {
  const made: KubernetesObject[] = [];
  const again = () => findStorage(scope, input);
  try {
    const volume =
      found.volume ??
      (await madeOrFound(
        () => createVolume(scope, input),
        async () => (await again()).volume,
        made,
      ));
    if (made.length === 0) assertSamePath(scope, input, volume);
    const claim =
      found.claim ??
      (await madeOrFound(
        () => createClaim(scope, { ...input, match: true }),
        async () => (await again()).claim,
        made,
      ));
    return { status: made.length > 0 ? 'created' : 'existing', volume, claim };
  } catch (err) {
    await undo(scope.resources, made);
    throw err;
  }
}

/** The claim as it stands once it is Bound, or when the deadline comes; a failed read ends the wait with what is known. */
export async function untilBound(
  resources: ResourceClient,
  claim: V1PersistentVolumeClaim,
  deadline: number,
  pollMs = 200,
): Promise<V1PersistentVolumeClaim> {
  let current = claim;
  while (current.status?.phase !== 'Bound' && Date.now() + pollMs <= deadline) {
    await sleep(pollMs);
    const read = await resources.get<V1PersistentVolumeClaim>(refOf(current)).catch(() => undefined);
    if (!read) break;
    current = read;
  }
  return current;
}

/**
 * POST /volumes/students: the student's volume and match claim, waited for (until `wait` seconds or the deadline,
 * whichever comes first) until the claim is Bound. A claim still Pending then is not a failure: it is answered with
 * its pendingReason, and both objects stay.
 */
export async function provisionStudent(
  scope: TenantScope,
  input: VolumeKey & { path: string; wait: number },
  { deadline }: { deadline: number },
) {
  const made = await makeStorage(scope, input, await findStorage(scope, input));
  const claim = await untilBound(scope.resources, made.claim, Math.min(deadline, Date.now() + input.wait * 1000));
  const bound = claim.status?.phase === 'Bound';
  if (bound) {
    // The volume's phase changed with the binding: answered as it now is.
    const volume = await scope.resources.get<V1PersistentVolume>(refOf(made.volume)).catch(() => made.volume);
    return { status: made.status, bound, volume, claim };
  }
  const reason = await pendingReason(scope.resources, scope, input, claim).catch(() => undefined);
  return {
    status: made.status,
    bound,
    volume: made.volume,
    claim: reason ? { ...claim, pendingReason: reason } : claim,
  };
}

/** The names removed of a student's storage: null where there was none. */
export interface Unprovisioned {
  claim: string | null;
  volume: string | null;
}

/** Deletes obj unless it is already being deleted (a claim a forced removal left to its pods): its name either way. */
const removed = async (resources: ResourceClient, obj: KubernetesObject | undefined): Promise<string | null> => {
  if (!obj) return null;
  if (obj.metadata?.deletionTimestamp) return obj.metadata.name!;
  return deleteOwned(resources, obj);
};

/**
 * Removes the student's claim, then their volume (its NFS data stays): 404 when they have neither, 409 CLAIM_IN_USE
 * naming the pods that still mount the claim (inUse) unless force.
 */
export async function removeStorage(
  scope: TenantScope,
  key: VolumeKey & { force: boolean },
  found: StudentStorage,
  inUse: (claimName: string) => string[],
): Promise<Unprovisioned> {
  if (!found.volume && !found.claim) {
    throw new NotFoundError(`No volume or claim for ${describeOwner(volumeOwner(scope, key))}.`, {
      code: 'OBJECT_NOT_FOUND',
    });
  }
  const pods = found.claim && !key.force ? inUse(found.claim.metadata!.name!) : [];
  if (pods.length > 0) {
    throw new ConflictError(
      `Claim ${found.claim!.metadata?.name} is still mounted by pod(s) ${pods.join(', ')}; delete them first or pass force=true.`,
      { code: 'CLAIM_IN_USE', details: { pods } },
    );
  }
  const claim = await removed(scope.resources, found.claim);
  return { claim, volume: await removed(scope.resources, found.volume) };
}

/** DELETE /volumes/students: the student's claim, then volume, unless pods mount the claim (409) or force. */
export async function unprovisionStudent(
  scope: TenantScope,
  key: VolumeKey & { force: boolean },
): Promise<Unprovisioned> {
  const names = reservationRefs(scope, key).map((r) => r.name);
  const [found, users] = await Promise.all([
    findStorage(scope, key),
    key.force ? undefined : podsUsing(scope.resources, scope.namespace, names),
  ]);
  return removeStorage(scope, key, found, (name) => users?.get(name) ?? []);
}
