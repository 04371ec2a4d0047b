// Facts of Kubernetes objects that several concepts share: the kinds the service handles, how one is named in a
// message, and when a pod has finished.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';

/** Names one object: apiVersion and kind as the API server spells them, or as a template does. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** The reference of an object as the API server gave it, or as it was rendered (namespace from its metadata). */
export function refOf(obj: KubernetesObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion!,
    kind: obj.kind!,
    name: obj.metadata!.name!,
    namespace: obj.metadata?.namespace,
  };
}

/** A kind as the API server spells it, with its API version. */
export interface Kind {
  apiVersion: string;
  kind: string;
}

export const volumeKind = { apiVersion: 'v1', kind: 'PersistentVolume' } as const satisfies Kind;
export const claimKind = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } as const satisfies Kind;
export const podKind = { apiVersion: 'v1', kind: 'Pod' } as const satisfies Kind;
export const jobKind = { apiVersion: 'batch/v1', kind: 'Job' } as const satisfies Kind;
export const configMapKind = { apiVersion: 'v1', kind: 'ConfigMap' } as const satisfies Kind;

/** The reference of obj, listed as kind (its name and namespace from its metadata). */
export const refOfKind = (kind: Kind, obj: KubernetesObject): ObjectRef => ({
  ...kind,
  name: obj.metadata!.name!,
  namespace: obj.metadata?.namespace,
});

/** "Kind name", or "Kind namespace/name", for messages and reports. */
export const objectLabel = (ref: { kind?: string; name?: string; namespace?: string }): string =>
  `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;

/** Whether a Pod ran to its end, successfully or not. */
export const podFinished = (pod: V1Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
