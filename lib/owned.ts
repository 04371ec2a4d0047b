// Create, read and delete objects only as their owner: another owner's object is never returned or touched.
import type { KubernetesObject } from '@kubernetes/client-node';
import { ConflictError, NotFoundError } from './errors.ts';
import type { ObjectRef, Resources } from './kube/resources.ts';
import { describeOwner, isOwnedBy, type Owner } from './owner.ts';

const label = (ref: { kind?: string; name?: string; namespace?: string }): string =>
  `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;

/** Creates obj; if its name exists, 409 saying whether it is the owner's own object or another's. Nothing is changed. */
export async function createOwned<T extends KubernetesObject>(resources: Resources, obj: T, owner: Owner): Promise<T> {
  try {
    return await resources.create(obj);
  } catch (err) {
    if (!(err instanceof ConflictError) || err.code !== 'ALREADY_EXISTS') throw err;
    const ref = { apiVersion: obj.apiVersion!, kind: obj.kind!, name: obj.metadata!.name!, namespace: obj.metadata?.namespace };
    const existing = await resources.get(ref).catch(() => undefined);
    const what = label({ ...ref, kind: existing?.kind ?? ref.kind });
    if (existing && isOwnedBy(existing, owner)) {
      throw new ConflictError(`${what} already exists for ${describeOwner(owner)}.`, { code: 'ALREADY_EXISTS', details: { name: ref.name }, cause: err });
    }
    throw new ConflictError(`The name ${ref.name} is already used by an object of another tenant, user or tag; nothing was changed.`, {
      code: 'NAME_TAKEN',
      details: { name: ref.name },
      cause: err,
    });
  }
}

/** The first of refs that exists and belongs to owner; 404 if none does. */
export async function getOwned<T extends KubernetesObject>(resources: Resources, refs: ObjectRef | ObjectRef[], owner: Owner): Promise<T> {
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
  const names = candidates.map((r, i) => label({ ...r, kind: kinds[i]!.kind })).join(' or ');
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
export async function deleteOwned(resources: Resources, obj: KubernetesObject, options: { propagationPolicy?: 'Background' | 'Foreground' } = {}): Promise<string> {
  const ref = { apiVersion: obj.apiVersion!, kind: obj.kind!, name: obj.metadata!.name!, namespace: obj.metadata?.namespace };
  const gone = (cause?: unknown): NotFoundError =>
    new NotFoundError(`${label(ref)} was deleted or replaced meanwhile.`, { code: 'OBJECT_NOT_FOUND', cause });
  let current = obj;
  for (let attempt = 1; ; attempt++) {
    if (current.metadata?.deletionTimestamp) {
      throw new NotFoundError(`${label(ref)} is already being deleted.`, { code: 'OBJECT_NOT_FOUND' });
    }
    try {
      await resources.delete(ref, { uid: obj.metadata?.uid, resourceVersion: current.metadata?.resourceVersion, ...options });
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
