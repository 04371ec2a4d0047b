// The verbs the domain uses over objects of any kind: an interface, so that the rules of claims, copies and ownership
// can be tried against an in-memory cluster (test/support/fake-resources.ts) and the API server (Resources) alike.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ObjectRef } from './objects.ts';

/** What discovery says about one kind. */
export interface ResourceInfo {
  apiVersion: string;
  /** The kind as the API server spells it, e.g. Job for a template's "job". */
  kind: string;
  plural: string;
  namespaced: boolean;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /** "0": any recent state, served from the API server's watch cache without waiting for it to catch up with etcd. */
  resourceVersion?: '0';
}

export interface ListPage<T> {
  items: T[];
  continue?: string;
}

export interface DeleteOptions {
  /** Delete only if the object still has this uid: what was checked is what goes. */
  uid?: string;
  /** Delete only if the object is unchanged since it was read: of racing deletes, one wins. */
  resourceVersion?: string;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
}

/** Generic verbs over objects of any kind: what the domain works with. */
export interface ResourceClient {
  resolve(apiVersion: string, kind: string): Promise<ResourceInfo>;
  create<T extends KubernetesObject>(obj: T): Promise<T>;
  get<T extends KubernetesObject>(ref: ObjectRef, options?: { resourceVersion?: '0' }): Promise<T>;
  delete(ref: ObjectRef, options?: DeleteOptions): Promise<void>;
  list<T extends KubernetesObject>(apiVersion: string, kind: string, options?: ListOptions): Promise<ListPage<T>>;
  pages<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    options?: Omit<ListOptions, 'continue'>,
  ): AsyncGenerator<T[]>;
  mergePatch<T extends KubernetesObject>(ref: ObjectRef, patch: unknown): Promise<T>;
  apply<T extends KubernetesObject>(obj: T, fieldManager?: string): Promise<T>;
}
