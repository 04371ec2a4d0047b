// Who an object belongs to: labels to select by, annotations with the raw values to decide by. Objects the old Python
// services made carry no user or tag once adopted (their names cannot be split back into them): they are marked
// `moop.io/adopted` and belong to the tenant's (user, tag) whose rendered name they bear, which callers look them up by.
import type { KubernetesObject } from '@kubernetes/client-node';
import { labelValue } from './names.ts';

export const managedByLabel = 'app.kubernetes.io/managed-by';
export const serviceName = 'moop-resource-service';
const keys = { tenant: 'moop.io/tenant', user: 'moop.io/user', tag: 'moop.io/tag' } as const;
/** Annotation of an adopted object: when it was adopted. */
export const adoptedAnnotation = 'moop.io/adopted';

/** The tenant, and for volumes the user and tag, an object is made for. */
export interface Owner {
  tenant: string;
  user?: string;
  tag?: string;
}

const entries = (owner: Owner): [string, string][] =>
  (Object.keys(keys) as (keyof typeof keys)[]).flatMap((k) => (owner[k] === undefined ? [] : [[keys[k], owner[k]!] as [string, string]]));

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
  return Object.entries(ownerLabels(owner)).map(([k, v]) => `${k}=${v}`).join(',');
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
  return annotations[adoptedAnnotation] !== undefined && annotations[keys.user] === undefined && annotations[keys.tag] === undefined;
}

/** The marks adoption adds to an object of the old services: the service's and the tenant's, and when. */
export function adoptionMarks(tenant: string, at: Date): { labels: Record<string, string>; annotations: Record<string, string> } {
  return { labels: ownerLabels({ tenant }), annotations: { ...ownerAnnotations({ tenant }), [adoptedAnnotation]: at.toISOString() } };
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
  return [`tenant ${owner.tenant}`, owner.user !== undefined && `user ${owner.user}`, owner.tag !== undefined && `tag ${owner.tag}`].filter(Boolean).join(', ');
}

/** True for any object this service made (or adopted) for tenant, whatever its user and tag. */
export function belongsToTenant(obj: KubernetesObject, tenant: string): boolean {
  return markedTenant(obj) === tenant;
}

/** Label selector of everything the service made. */
export const managedSelector = `${managedByLabel}=${serviceName}`;
