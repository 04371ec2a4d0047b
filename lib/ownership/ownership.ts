// Ownership: who an object belongs to (the marks the service puts on it, and how they are matched), and creating,
// reading and deleting objects only as their owner, so that another owner's object is never returned or touched.
//
// Who an object belongs to: labels to select by, annotations with the raw values to decide by. Objects the old Python
// services made carry no user or tag once adopted (their names cannot be split back into them): they are marked
// `moop.io/adopted` and belong to the tenant's (user, tag) whose rendered name they bear, which callers look them up
// by.
import type { KubernetesObject } from '@kubernetes/client-node';
import { ConflictError, NotFoundError } from '../errors.ts';
import { labelValue } from '../kube/names.ts';
import { type ObjectRef, objectLabel, refOf } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';

export const managedByLabel = 'app.kubernetes.io/managed-by';
export const serviceName = 'moop-resource-service';
const keys = { tenant: 'moop.io/tenant', user: 'moop.io/user', tag: 'moop.io/tag' } as const;
/** The label of a tenant's objects, and of its namespace (npm run prepare-tenant): the tenant's id. */
export const tenantLabel = keys.tenant;
/**
 * The namespace of the service's own records (Idempotency-Key outcomes, completion notices), ConfigMaps marked for their
 * tenant: the only namespace where RBAC lets it touch ConfigMaps, so it never reads a tenant's (the hub's
 * configuration). deploy/rbac.yaml makes it.
 */
export const recordsNamespace = 'moop-records';
/** Annotation of an adopted object: when it was adopted. */
export const adoptedAnnotation = 'moop.io/adopted';

/** The tenant, and for volumes the user and tag, an object is made for. */
export interface Owner {
  tenant: string;
  user?: string;
  tag?: string;
}

const entries = (owner: Owner): [string, string][] =>
  (Object.keys(keys) as (keyof typeof keys)[]).flatMap((k) =>
    owner[k] === undefined ? [] : [[keys[k], owner[k]!] as [string, string]],
  );

/** Labels that mark an object as the service's and record its owner in label-safe form. */
export function ownerLabels(owner: Owner): Record<string, string> {
  return { [managedByLabel]: serviceName, ...Object.fromEntries(entries(owner).map(([k, v]) => [k, labelValue(v)])) };
}

/** Annotations that record the owner's raw values. */
export function ownerAnnotations(owner: Owner): Record<string, string> {
  return Object.fromEntries(entries(owner));
}

/** Label selector of everything the service made for owner (a hint: isOwnedBy decides). */
export function ownerSelector(owner: Owner): string {
  return Object.entries(ownerLabels(owner))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/**
 * True only for an object this service made for exactly this owner, or adopted for the owner's tenant (the caller
 * has looked it up by the exact name the tenant's template renders for the owner).
 */
export function isOwnedBy(obj: KubernetesObject, owner: Owner): boolean {
  const labels = obj.metadata?.labels ?? {};
  const annotations = obj.metadata?.annotations ?? {};
  if (labels[managedByLabel] !== serviceName) return false;
  if (isAdopted(obj)) return annotations[keys.tenant] === owner.tenant;
  return (Object.keys(keys) as (keyof typeof keys)[]).every((k) => annotations[keys[k]] === owner[k]);
}

/** True for an object of the old services that an operator adopted. */
export function isAdopted(obj: KubernetesObject): boolean {
  const annotations = obj.metadata?.annotations ?? {};
  return (
    annotations[adoptedAnnotation] !== undefined &&
    annotations[keys.user] === undefined &&
    annotations[keys.tag] === undefined
  );
}

/** The marks adoption adds to an object of the old services: the service's and the tenant's, and when. */
export function adoptionMarks(
  tenant: string,
  at: Date,
): { labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    labels: ownerLabels({ tenant }),
    annotations: { ...ownerAnnotations({ tenant }), [adoptedAnnotation]: at.toISOString() },
  };
}

/** The tenant an object carries this service's marks for, if it carries them at all. */
export function markedTenant(obj: KubernetesObject): string | undefined {
  if (obj.metadata?.labels?.[managedByLabel] !== serviceName) return undefined;
  return obj.metadata?.annotations?.[keys.tenant];
}

/** Adds the owner's labels and annotations to obj's metadata, keeping the template's own. */
export function markOwned<T extends KubernetesObject>(obj: T, owner: Owner): T {
  const metadata = obj.metadata ?? {};
  return {
    ...obj,
    metadata: {
      ...metadata,
      labels: { ...metadata.labels, ...ownerLabels(owner) },
      annotations: { ...metadata.annotations, ...ownerAnnotations(owner) },
    },
  };
}

/** "tenant t, user u, tag g", for messages. */
export function describeOwner(owner: Owner): string {
  return [
    `tenant ${owner.tenant}`,
    owner.user !== undefined && `user ${owner.user}`,
    owner.tag !== undefined && `tag ${owner.tag}`,
  ]
    .filter(Boolean)
    .join(', ');
}

/** True for any object this service made (or adopted) for tenant, whatever its user and tag. */
export function belongsToTenant(obj: KubernetesObject, tenant: string): boolean {
  return markedTenant(obj) === tenant;
}

/** Label selector of everything the service made. */
export const managedSelector = `${managedByLabel}=${serviceName}`;

/**
 * Creates obj; if its name exists, 409 saying whether it is the owner's own object or another's. Nothing is changed.
 */
export async function createOwned<T extends KubernetesObject>(
  resources: ResourceClient,
  obj: T,
  owner: Owner,
): Promise<T> {
  try {
    return await resources.create(obj);
  } catch (err) {
    if (!(err instanceof ConflictError) || err.code !== 'ALREADY_EXISTS') throw err;
    const ref = refOf(obj);
    const existing = await resources.get(ref).catch(() => undefined);
    const what = objectLabel({ ...ref, kind: existing?.kind ?? ref.kind });
    if (existing && isOwnedBy(existing, owner)) {
      throw new ConflictError(`${what} already exists for ${describeOwner(owner)}.`, {
        code: 'ALREADY_EXISTS',
        details: { name: ref.name },
        cause: err,
      });
    }
    throw new ConflictError(
      `The name ${ref.name} is already used by an object of another tenant, user or tag; nothing was changed.`,
      {
        code: 'NAME_TAKEN',
        details: { name: ref.name },
        cause: err,
      },
    );
  }
}

/** The first of refs that exists and belongs to owner; 404 if none does. */
export async function getOwned<T extends KubernetesObject>(
  resources: ResourceClient,
  refs: ObjectRef | ObjectRef[],
  owner: Owner,
): Promise<T> {
  const candidates = Array.isArray(refs) ? refs : [refs];
  for (const ref of candidates) {
    const found = await resources.get<T>(ref).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
    if (found && isOwnedBy(found, owner)) return found;
  }
  // Name the kind as the API server spells it, not as the template did ("job").
  const kinds = await Promise.all(candidates.map((r) => resources.resolve(r.apiVersion, r.kind)));
  const names = candidates.map((r, i) => objectLabel({ ...r, kind: kinds[i]!.kind })).join(' or ');
  throw new NotFoundError(`No ${names} for ${describeOwner(owner)}.`, { code: 'OBJECT_NOT_FOUND' });
}

/** A delete route's answer: the name of what it deleted. */
export interface Deleted {
  deleted: string;
}

/**
 * Deletes obj, which must be the object just read as the owner's. Preconditions on uid and resourceVersion make
 * exactly one of racing deletes win (a claim or volume stays while its finalizer runs, and a second DELETE of it
 * would otherwise succeed too); a benign change since the read (a status update) is re-read and retried.
 */
export async function deleteOwned(
  resources: ResourceClient,
  obj: KubernetesObject,
  options: { propagationPolicy?: 'Background' | 'Foreground' } = {},
): Promise<string> {
  const ref = refOf(obj);
  const gone = (cause?: unknown): NotFoundError =>
    new NotFoundError(`${objectLabel(ref)} was deleted or replaced meanwhile.`, { code: 'OBJECT_NOT_FOUND', cause });
  let current = obj;
  for (let attempt = 1; ; attempt++) {
    if (current.metadata?.deletionTimestamp) {
      throw new NotFoundError(`${objectLabel(ref)} is already being deleted.`, { code: 'OBJECT_NOT_FOUND' });
    }
    try {
      await resources.delete(ref, {
        uid: obj.metadata?.uid,
        resourceVersion: current.metadata?.resourceVersion,
        ...options,
      });
      return ref.name;
    } catch (err) {
      if (err instanceof NotFoundError) throw gone(err);
      if (!(err instanceof ConflictError) || attempt >= 3) throw err;
      current = await resources.get(ref).catch((e: unknown) => {
        throw e instanceof NotFoundError ? gone(e) : e;
      });
      if (current.metadata?.uid !== obj.metadata?.uid) throw gone(err);
    }
  }
}
