// Generic object verbs over the API, for any kind the API server serves, found through its discovery documents.
import type { KubernetesObject, V1APIResourceList } from '@kubernetes/client-node';
import { UpstreamError } from '../errors.ts';
import type { KubeClient } from './client.ts';
import { unknownKind } from './failures.ts';
import { type ObjectRef, refOf } from './objects.ts';
import type { DeleteOptions, ListOptions, ListPage, ResourceClient, ResourceInfo } from './resource-client.ts';

/** obj as `kubectl get -o json` shows it: without metadata.managedFields, which is bookkeeping of the API server. */
function shown<T extends KubernetesObject>(obj: T): T {
  if (!obj?.metadata?.managedFields) return obj;
  const { managedFields: _managedFields, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/**
 * Kubernetes objects of any kind, as `kubectl get -o json` shows them; discovery answers are kept for the life of the
 * container.
 */
export class Resources implements ResourceClient {
  private readonly kube: KubeClient;
  private readonly discovery = new Map<string, Promise<V1APIResourceList>>();

  constructor(kube: KubeClient) {
    this.kube = kube;
  }

  /** Resolves apiVersion and kind, the kind matched without regard to case; 422 if the API server has no such kind. */
  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let list = this.discovery.get(apiVersion);
    if (!list) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      list = this.kube.request<V1APIResourceList>({ method: 'GET', path, kind });
      this.discovery.set(apiVersion, list);
      list.catch(() => this.discovery.delete(apiVersion));
    }
    const wanted = kind.toLowerCase();
    const found = (await list).resources.find((r) => !r.name.includes('/') && r.kind.toLowerCase() === wanted);
    if (!found) throw unknownKind(apiVersion, kind);
    return { apiVersion, kind: found.kind, plural: found.name, namespaced: found.namespaced };
  }

  private async path(ref: Omit<ObjectRef, 'name'> & { name?: string }): Promise<{ info: ResourceInfo; path: string }> {
    const info = await this.resolve(ref.apiVersion, ref.kind);
    const root = info.apiVersion.includes('/') ? `/apis/${info.apiVersion}` : `/api/${info.apiVersion}`;
    const ns = info.namespaced && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
    const name = ref.name === undefined ? '' : `/${encodeURIComponent(ref.name)}`;
    return { info, path: `${root}${ns}/${info.plural}${name}` };
  }

  /** Creates obj (kind spelled any way) and returns the API server's answer. */
  async create<T extends KubernetesObject>(obj: T): Promise<T> {
    const { info, path } = await this.path({
      apiVersion: obj.apiVersion ?? 'v1',
      kind: obj.kind ?? '',
      namespace: obj.metadata?.namespace,
    });
    return shown(await this.kube.request<T>({ method: 'POST', path, body: { ...obj, kind: info.kind } }));
  }

  /**
   * Reads one object; NotFoundError if it is not there. resourceVersion "0" reads the watch cache (may lag by moments).
   */
  async get<T extends KubernetesObject>(ref: ObjectRef, options: { resourceVersion?: '0' } = {}): Promise<T> {
    const { path } = await this.path(ref);
    return shown(
      await this.kube.request<T>({ method: 'GET', path, query: { resourceVersion: options.resourceVersion } }),
    );
  }

  /** Deletes one object; NotFoundError if it is not there, ConflictError if its uid changed. */
  async delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<void> {
    const { path } = await this.path(ref);
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      ...(options.uid || options.resourceVersion
        ? { preconditions: { uid: options.uid, resourceVersion: options.resourceVersion } }
        : {}),
      ...(options.propagationPolicy ? { propagationPolicy: options.propagationPolicy } : {}),
    };
    await this.kube.request({ method: 'DELETE', path, body });
  }

  /** Lists one page of objects of a kind. */
  async list<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions = {},
  ): Promise<ListPage<T>> {
    const { path } = await this.path({ apiVersion, kind, namespace: options.namespace });
    const answer = await this.kube.request<{ items: T[]; metadata?: { continue?: string } }>({
      method: 'GET',
      path,
      query: {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: options.limit,
        continue: options.continue,
        resourceVersion: options.resourceVersion,
      },
    });
    return {
      items: answer.items.map(shown),
      ...(answer.metadata?.continue ? { continue: answer.metadata.continue } : {}),
    };
  }

  /**
   * Every page of objects of a kind, a page at a time, so memory stays one page. A continue token the API server has
   * expired (410, a list paged for longer than its history) starts the list again from the top, up to three times:
   * callers see some objects twice, never miss one.
   */
  async *pages<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    options: Omit<ListOptions, 'continue'> = {},
  ): AsyncGenerator<T[]> {
    for (let restarts = 0; ; restarts++) {
      let token: string | undefined;
      try {
        do {
          // Only a first page may come from the watch cache: continue tokens carry their own revision.
          const page = await this.list<T>(apiVersion, kind, {
            ...options,
            continue: token,
            resourceVersion: token ? undefined : options.resourceVersion,
          });
          yield page.items;
          token = page.continue;
        } while (token);
        return;
      } catch (err) {
        if (!(err instanceof UpstreamError && err.code === 'LIST_EXPIRED') || restarts >= 3) throw err;
      }
    }
  }

  /**
   * Server-side apply (force): creates obj, or makes the fields fieldManager owns what obj says; the operator's tools
   * use it.
   */
  async apply<T extends KubernetesObject>(obj: T, fieldManager = 'moop-resource-service'): Promise<T> {
    const { info, path } = await this.path(refOf(obj));
    return shown(
      await this.kube.request<T>({
        method: 'PATCH',
        path,
        query: { fieldManager, force: true },
        // JSON is YAML: the apply patch type takes either.
        body: { ...obj, kind: info.kind },
        contentType: 'application/apply-patch+yaml',
      }),
    );
  }

  /** Applies a JSON merge patch to one object and returns it. */
  async mergePatch<T extends KubernetesObject>(ref: ObjectRef, patch: unknown): Promise<T> {
    const { path } = await this.path(ref);
    return shown(
      await this.kube.request<T>({ method: 'PATCH', path, body: patch, contentType: 'application/merge-patch+json' }),
    );
  }
}
