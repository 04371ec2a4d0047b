// Copy Pods and Jobs: what they need before they are made (their claims), making one (idempotently), waiting for it,
// reading it with why it is stuck, deleting it; and when one finished.

import { setTimeout as sleep } from 'node:timers/promises';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { ConflictError, NotFoundError } from '../errors.ts';
import { refOf } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { createOwned, type Deleted, deleteOwned, getOwned, isOwnedBy, markedTenant } from '../ownership/ownership.ts';
import type { TenantScope } from '../tenants/scope.ts';
import {
  type CopyObject,
  idempotencyAnnotation,
  idempotencyHash,
  idempotentRequestAnnotation,
  podRefs,
  renderPod,
  requestHash,
} from './render.ts';
import type { CopyVolume } from './schemas.ts';
import { finishedAt, isStuck, type StatusReason, statusReason } from './status.ts';

/**
 * 404 naming the claims of vols that do not exist in namespace, or are not this tenant's: a copy mounts only claims the
 * service made (or adopted) for the tenant, never JupyterHub's own (hub-db-dir: its tokens and cookie secret), a
 * student's KubeSpawner claim or another school's. Nothing is made before this passes.
 */
export async function assertClaimsExist(
  resources: ResourceClient,
  namespace: string,
  vols: CopyVolume[],
  tenant: string,
): Promise<void> {
  const claims = [...new Set(vols.map((v) => v.pvc))];
  const missing = await Promise.all(
    claims.map((name) =>
      resources.get<V1PersistentVolumeClaim>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name, namespace }).then(
        // Another's claim is as absent as one that does not exist: its existence is not the tenant's to learn.
        (claim) => (markedTenant(claim) === tenant ? undefined : name),
        (err: unknown) => {
          if (err instanceof NotFoundError) return name;
          throw err;
        },
      ),
    ),
  );
  const absent = missing.filter((n): n is string => n !== undefined);
  if (absent.length > 0) {
    throw new NotFoundError(`Claim(s) ${absent.join(', ')} do not exist in namespace ${namespace}.`, {
      code: 'CLAIM_NOT_FOUND',
      details: { claims: absent },
    });
  }
}

/** A copy as the routes answer it: the object, and beside it why it is stuck or failed, if it is. */
export type CopyAnswer = CopyObject & { statusReason?: StatusReason };

const withReason = async (resources: ResourceClient, copy: CopyObject): Promise<CopyAnswer> => {
  const reason = await statusReason(resources, copy).catch(() => undefined);
  return reason ? { ...copy, statusReason: reason } : copy;
};

/**
 * Polls the Pod or Job until it finishes, is stuck on something waiting will not get past (an image that cannot be
 * pulled, a mount that fails, a pod the Job cannot create), or `ms` pass, and returns it as it then stands. It was
 * made: a read that fails meanwhile ends the wait with what is known, never turns the answer into a failure.
 */
export async function waitUntilFinished<T extends CopyObject>(
  resources: ResourceClient,
  obj: T,
  ms: number,
  pollMs = 250,
): Promise<T> {
  const deadline = Date.now() + ms;
  const ref = refOf(obj);
  let current = obj;
  for (let poll = 1; finishedAt(current) === undefined && Date.now() + pollMs <= deadline; poll++) {
    await sleep(pollMs);
    const read = await resources.get<T>(ref).catch(() => undefined);
    if (!read) break;
    current = read;
    // Once a second: the reason may need the pods and events, which cost more than the object itself.
    if (poll % 4 === 0 && isStuck(await statusReason(resources, current).catch(() => undefined))) break;
  }
  return current;
}

/**
 * Makes a copy from the tenant's pod template (after checking its claims exist) and waits up to waitMs for it. With an
 * idempotency key, a retry of the same POST returns the copy the first one made (within the retention, while it
 * exists) instead of starting a second copy into the same claims.
 */
export async function createCopy(
  scope: TenantScope,
  input: { cmd: string; vols: CopyVolume[] },
  options: { idempotencyKey?: string; waitMs: number },
): Promise<CopyAnswer> {
  const { resources, tenant, namespace } = scope;
  const copy = renderPod(scope, input, options.idempotencyKey);
  await assertClaimsExist(resources, namespace, input.vols, tenant.id);
  const owner = { tenant: tenant.id };
  const created = await createOwned(resources, copy, owner).catch(async (err: unknown) => {
    if (!options.idempotencyKey || !(err instanceof ConflictError) || err.code !== 'ALREADY_EXISTS') throw err;
    const ref = refOf(copy);
    const first = await resources.get<CopyObject>(ref);
    const annotations = first.metadata?.annotations ?? {};
    if (
      !isOwnedBy(first, owner) ||
      annotations[idempotencyAnnotation] !== idempotencyHash(tenant.id, options.idempotencyKey)
    )
      throw err;
    if (annotations[idempotentRequestAnnotation] !== requestHash(input)) {
      throw new ConflictError(
        `The Idempotency-Key was first used for a different copy (${first.metadata?.name}); send a new key for a new copy.`,
        {
          code: 'IDEMPOTENCY_KEY_REUSED',
          details: { name: first.metadata?.name },
        },
      );
    }
    return first;
  });
  if (options.waitMs <= 0) return created;
  return withReason(resources, await waitUntilFinished(resources, created, options.waitMs));
}

/** The tenant's copy of that name, with why it is stuck or failed. */
export async function readCopy(scope: TenantScope, { name }: { name: string }): Promise<CopyAnswer> {
  return withReason(
    scope.resources,
    await getOwned<CopyObject>(scope.resources, podRefs(scope, name), { tenant: scope.tenant.id }),
  );
}

/** Deletes the tenant's copy of that name (a Job's pods go with it); its name. */
export async function deleteCopy(scope: TenantScope, { name }: { name: string }): Promise<Deleted> {
  const copy = await getOwned<CopyObject>(scope.resources, podRefs(scope, name), { tenant: scope.tenant.id });
  return { deleted: await deleteOwned(scope.resources, copy, { propagationPolicy: 'Background' }) };
}
