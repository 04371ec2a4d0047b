// An in-memory cluster behind the domain's ResourceClient, for unit tests of its rules in milliseconds: objects keyed
// by kind, namespace and name, with uids, resource versions and the API server's answers to conflicts and absences.
// The integration tests prove the same rules against the real API server.
import type { KubernetesObject } from '@kubernetes/client-node';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import type { ObjectRef } from '../../lib/kube/objects.ts';
import type {
  DeleteOptions,
  ListOptions,
  ListPage,
  ResourceClient,
  ResourceInfo,
} from '../../lib/kube/resource-client.ts';

const kinds: ResourceInfo[] = [
  { apiVersion: 'v1', kind: 'PersistentVolume', plural: 'persistentvolumes', namespaced: false },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true },
  { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true },
  { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', plural: 'storageclasses', namespaced: false },
];

type Stored = KubernetesObject & Record<string, unknown>;

/** A JSON merge patch (RFC 7386): null removes a field. */
function merge(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

/** Whether labels match a selector of equalities, existence and sets ("a=b,c,d in (e,f)"): what the service uses. */
function matches(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  // Commas inside "in (...)" separate values, not terms.
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return terms.every((term) => {
    const set = /^\s*(\S+)\s+in\s+\(([^)]*)\)\s*$/.exec(term);
    if (set)
      return set[2]!
        .split(',')
        .map((v) => v.trim())
        .includes(labels?.[set[1]!] ?? '\u0000');
    const [k, v] = term.split('=');
    return v === undefined ? labels?.[k!] !== undefined : labels?.[k!] === v;
  });
}

export class FakeResources implements ResourceClient {
  readonly objects = new Map<string, Stored>();
  /** Every call, as "verb Kind namespace/name", for tests that count what an operation asked. */
  readonly calls: string[] = [];
  private version = 1;

  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const found = kinds.find((k) => k.apiVersion === apiVersion && k.kind.toLowerCase() === kind.toLowerCase());
    if (!found) throw new NotFoundError(`no kind ${kind}`, { code: 'NOT_FOUND' });
    return found;
  }

  private async key(ref: { apiVersion?: string; kind?: string; name?: string; namespace?: string }): Promise<string> {
    const info = await this.resolve(ref.apiVersion ?? 'v1', ref.kind ?? '');
    return `${info.apiVersion}/${info.kind}/${info.namespaced ? (ref.namespace ?? '') : ''}/${ref.name}`;
  }

  /** Puts obj in the cluster as an admin would, with a uid and a resource version. */
  async seed<T extends KubernetesObject>(obj: T): Promise<T> {
    const info = await this.resolve(obj.apiVersion ?? 'v1', obj.kind ?? '');
    const stored = {
      ...obj,
      kind: info.kind,
      metadata: {
        creationTimestamp: new Date().toISOString(),
        ...obj.metadata,
        uid: `uid-${this.version}`,
        resourceVersion: String(this.version++),
      },
    } as Stored;
    this.objects.set(await this.key(refOfObject(stored)), stored);
    return structuredClone(stored) as T;
  }

  async create<T extends KubernetesObject>(obj: T): Promise<T> {
    this.calls.push(`create ${obj.kind} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`);
    if (this.objects.has(await this.key(refOfObject(obj)))) {
      throw new ConflictError(`Conflict: ${obj.metadata?.name} already exists`, { code: 'ALREADY_EXISTS' });
    }
    return this.seed(obj);
  }

  async get<T extends KubernetesObject>(ref: ObjectRef): Promise<T> {
    this.calls.push(`get ${ref.kind} ${ref.namespace ?? ''}/${ref.name}`);
    const found = this.objects.get(await this.key(ref));
    if (!found) throw new NotFoundError(`Not found: ${ref.name}`, { code: 'NOT_FOUND' });
    return structuredClone(found) as T;
  }

  async delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<void> {
    this.calls.push(`delete ${ref.kind} ${ref.namespace ?? ''}/${ref.name}`);
    const key = await this.key(ref);
    const found = this.objects.get(key);
    if (!found) throw new NotFoundError(`Not found: ${ref.name}`, { code: 'NOT_FOUND' });
    if (
      (options.uid && options.uid !== found.metadata?.uid) ||
      (options.resourceVersion && options.resourceVersion !== found.metadata?.resourceVersion)
    ) {
      throw new ConflictError('Conflict: precondition failed', { code: 'CONFLICT' });
    }
    this.objects.delete(key);
  }

  async list<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions = {},
  ): Promise<ListPage<T>> {
    this.calls.push(`list ${kind} ${options.namespace ?? ''}`);
    const info = await this.resolve(apiVersion, kind);
    const items = [...this.objects.values()].filter(
      (o) =>
        o.kind === info.kind &&
        (options.namespace === undefined || o.metadata?.namespace === options.namespace) &&
        matches(o.metadata?.labels, options.labelSelector),
    );
    // As the API server answers a list: its items carry neither kind nor apiVersion (the list itself does).
    return {
      items: items.map(({ kind: _kind, apiVersion: _apiVersion, ...rest }) => structuredClone(rest)) as unknown as T[],
    };
  }

  async *pages<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    options: Omit<ListOptions, 'continue'> = {},
  ): AsyncGenerator<T[]> {
    yield (await this.list<T>(apiVersion, kind, options)).items;
  }

  async mergePatch<T extends KubernetesObject>(ref: ObjectRef, patch: unknown): Promise<T> {
    this.calls.push(`patch ${ref.kind} ${ref.namespace ?? ''}/${ref.name}`);
    const key = await this.key(ref);
    const found = this.objects.get(key);
    if (!found) throw new NotFoundError(`Not found: ${ref.name}`, { code: 'NOT_FOUND' });
    const wanted = (patch as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (wanted && wanted !== found.metadata?.resourceVersion)
      throw new ConflictError('Conflict: the object has been modified', { code: 'CONFLICT' });
    const patched = merge(found, patch) as Stored;
    patched.metadata = { ...patched.metadata, resourceVersion: String(this.version++) };
    this.objects.set(key, patched);
    return structuredClone(patched) as T;
  }

  async apply<T extends KubernetesObject>(obj: T): Promise<T> {
    const key = await this.key(refOfObject(obj));
    const found = this.objects.get(key);
    if (!found) return this.seed(obj);
    return this.mergePatch(refOfObject(found), obj);
  }
}

function refOfObject(obj: KubernetesObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion ?? 'v1',
    kind: obj.kind ?? '',
    name: obj.metadata?.name ?? '',
    namespace: obj.metadata?.namespace,
  };
}
