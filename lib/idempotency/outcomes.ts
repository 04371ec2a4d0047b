// A request's outcome kept under its Idempotency-Key, so that a retried request answers the first one's outcome
// instead of doing the work again. Kept in the cluster, so no AWS store is needed: a ConfigMap of the service's records
// namespace (never a tenant's, whose ConfigMaps it may not read), marked for its tenant and named for (route, tenant,
// key); cleanup deletes it after a day, or with its tenant.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { ConflictError, NotFoundError } from '../errors.ts';
import { shortHash } from '../kube/names.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { markOwned, recordsNamespace } from '../ownership/ownership.ts';

/** How long an outcome answers retries: a day covers any client's retries; later, the key starts afresh. */
export const outcomeTtlMs = 24 * 60 * 60 * 1000;
/** Annotation: the digest of the request the outcome answers, so the key reused for another request is refused. */
export const requestDigestAnnotation = 'moop.io/request-digest';
/** Label of an outcome's ConfigMap: the route it answers. */
export const outcomeLabel = 'moop.io/outcome-of';

/** Where one request's outcome is kept. */
export interface OutcomeSlot {
  resources: ResourceClient;
  tenant: string;
  /** The route, e.g. "rosters": the same key on two routes names two outcomes. */
  route: string;
  key: string;
}

const refOf = (slot: OutcomeSlot) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: recordsNamespace,
  name: `outcome-${slot.tenant}-${shortHash([slot.route, slot.tenant, slot.key], 26)}`,
});

const digestOf = (request: unknown): string => shortHash([JSON.stringify(request)], 40);

/** The outcome kept for slot, if one is, unexpired; 409 when it answers another request than this one. */
async function kept<T>(slot: OutcomeSlot, digest: string, now: number): Promise<T | undefined> {
  const found = await slot.resources.get<V1ConfigMap>(refOf(slot)).catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });
  if (!found) return undefined;
  const created = new Date(found.metadata?.creationTimestamp as unknown as string).getTime();
  if (now - created > outcomeTtlMs) {
    await slot.resources.delete(refOf(slot), { uid: found.metadata?.uid }).catch(() => undefined);
    return undefined;
  }
  if (found.metadata?.annotations?.[requestDigestAnnotation] !== digest) {
    throw new ConflictError('This Idempotency-Key was used for a different request; use a new key for a new request.', {
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  }
  return JSON.parse(found.data?.outcome ?? 'null') as T;
}

/** Keeps outcome for slot; when a concurrent request kept one first, that one is the answer. */
async function keep<T>(slot: OutcomeSlot, digest: string, outcome: T): Promise<T> {
  const ref = refOf(slot);
  const configMap = markOwned<V1ConfigMap>(
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: ref.name,
        namespace: ref.namespace,
        labels: { [outcomeLabel]: slot.route },
        annotations: { [requestDigestAnnotation]: digest },
      },
      data: { outcome: JSON.stringify(outcome) },
    },
    { tenant: slot.tenant },
  );
  try {
    await slot.resources.create(configMap);
    return outcome;
  } catch (err) {
    if (err instanceof ConflictError && err.code === 'ALREADY_EXISTS')
      return (await kept<T>(slot, digest, Date.now())) ?? outcome;
    // Not kept: the caller still gets its answer; a retry would do the work again, which each route makes safe.
    return outcome;
  }
}

/**
 * run's outcome, done once per (route, tenant, key): a retry with the same key and request answers the kept outcome;
 * the same key with another request is refused (409 IDEMPOTENCY_KEY_REUSED). Without a key, run simply runs.
 */
export async function once<T>(
  slot: Omit<OutcomeSlot, 'key'> & { key?: string },
  request: unknown,
  run: () => Promise<T>,
): Promise<T> {
  if (slot.key === undefined) return run();
  const withKey = { ...slot, key: slot.key };
  const digest = digestOf(request);
  const previous = await kept<T>(withKey, digest, Date.now());
  if (previous !== undefined) return previous;
  return keep(withKey, digest, await run());
}
