// The reads of pendingReason (claims/pending.ts) and statusReason (copies/status.ts) answered from what an inventory
// page listed once, so that the rules of why stay in one place and explaining a page of claims or copies costs no read
// per object. A read these lists cannot answer throws, rather than quietly costing a call per object.
import type { CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import { NotFoundError } from '../errors.ts';
import { type ObjectRef, objectLabel } from '../kube/objects.ts';
import type { ListOptions, ListPage, ResourceClient } from '../kube/resource-client.ts';
import { listAll } from './page.ts';

/** What a page listed: volumes a claim may select, pods a Job's reason reads, and how to list the events once. */
export interface Listed {
  namespace: string;
  volumes?: KubernetesObject[];
  pods?: KubernetesObject[];
  /** The events' field selector: what the rules ask must be within it (each of its terms in their selector). */
  eventSelector: string;
}

/** Whether an equality selector ("a=b,c.d=e") holds, lookup giving each key's value. */
const holds = (selector: string | undefined, lookup: (key: string) => unknown): boolean =>
  (selector ?? '')
    .split(',')
    .filter(Boolean)
    .every((term) => {
      const [key, value] = term.split('=');
      return lookup(key!) === value;
    });

/** A field of obj by its dotted path, as a field selector names it (involvedObject.name). */
const field = (obj: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((at, k) => (at as Record<string, unknown> | undefined)?.[k], obj);

const unlisted = (what: string): never => {
  throw new Error(`${what} was not listed by the inventory page: it reads nothing one object at a time.`);
};
const readOnly = (): never => {
  throw new Error('The inventory only reads.');
};

/** A ResourceClient whose reads come from listed; storage classes, one read each, from resources. */
export function listedReads(resources: ResourceClient, listed: Listed): ResourceClient {
  let events: Promise<CoreV1Event[]> | undefined;
  const eventsAsked = (fieldSelector = ''): Promise<CoreV1Event[]> => {
    const asked = fieldSelector.split(',');
    if (!listed.eventSelector.split(',').every((t) => asked.includes(t))) unlisted(`Events ${fieldSelector}`);
    events ??= listAll<CoreV1Event>(
      resources,
      { apiVersion: 'v1', kind: 'Event' },
      { namespace: listed.namespace, fieldSelector: listed.eventSelector },
    );
    return events.then((all) => all.filter((e) => holds(fieldSelector, (path) => field(e, path))));
  };
  const pods = (labelSelector?: string): KubernetesObject[] =>
    (listed.pods ?? unlisted('Pods')).filter((p) => holds(labelSelector, (k) => p.metadata?.labels?.[k]));
  return {
    resolve: (apiVersion, kind) => resources.resolve(apiVersion, kind),
    get: async <T extends KubernetesObject>(ref: ObjectRef, options?: { resourceVersion?: '0' }): Promise<T> => {
      if (ref.kind === 'StorageClass') return resources.get<T>(ref, options);
      if (ref.kind !== 'PersistentVolume' || !listed.volumes) return unlisted(objectLabel(ref));
      const found = listed.volumes.find((v) => v.metadata?.name === ref.name);
      if (!found) throw new NotFoundError(`No ${objectLabel(ref)}.`, { code: 'NOT_FOUND' });
      return found as T;
    },
    list: async <T extends KubernetesObject>(
      _: string,
      kind: string,
      options: ListOptions = {},
    ): Promise<ListPage<T>> => {
      if (kind === 'Event') return { items: (await eventsAsked(options.fieldSelector)) as unknown as T[] };
      if (kind === 'Pod') return { items: pods(options.labelSelector) as T[] };
      return unlisted(kind);
    },
    pages: (_, kind) => unlisted(kind),
    create: readOnly,
    delete: readOnly,
    mergePatch: readOnly,
    apply: readOnly,
  };
}
