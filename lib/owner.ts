// Who an object belongs to: labels to select by, annotations with the raw values to decide by.
import type { KubernetesObject } from '@kubernetes/client-node';
import { labelValue } from './names.ts';

export const managedByLabel = 'app.kubernetes.io/managed-by';
export const serviceName = 'moop-resource-service';
const keys = { tenant: 'moop.io/tenant', user: 'moop.io/user', tag: 'moop.io/tag' } as const;

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

/** True only for an object this service made for exactly this owner. */
export function isOwnedBy(obj: KubernetesObject, owner: Owner): boolean {
  const labels = obj.metadata?.labels ?? {};
  const annotations = obj.metadata?.annotations ?? {};
  if (labels[managedByLabel] !== serviceName) return false;
  return (Object.keys(keys) as (keyof typeof keys)[]).every((k) => annotations[keys[k]] === owner[k]);
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

/** True for any object this service made for tenant, whatever its user and tag. */
export function belongsToTenant(obj: KubernetesObject, tenant: string): boolean {
  return obj.metadata?.labels?.[managedByLabel] === serviceName && obj.metadata?.annotations?.[keys.tenant] === tenant;
}

/** Label selector of everything the service made. */
export const managedSelector = `${managedByLabel}=${serviceName}`;
