// How the inventory routes read and page. Every tenant-labelled object of a kind is listed from the API server's watch
// cache (resources.pages, 500 per call), joined and sorted in memory, and a page is cut from that sorted whole after
// the cursor: `continue` is the last item's sort key, base64url JSON, not a Kubernetes continue token. So a page costs a
// few list calls whatever its size, the cursor never expires (a Kubernetes token does after about five minutes, 410),
// and an object added or removed between pages neither repeats nor skips any other.
import type { KubernetesObject } from '@kubernetes/client-node';
import { BadRequestError } from '../errors.ts';
import type { Kind } from '../kube/objects.ts';
import type { ListOptions, ResourceClient } from '../kube/resource-client.ts';
import { describeProblems } from '../validation.ts';

/** Where an item stands in its route's order: strings compared one after the other. */
export type SortKey = string[];

/** One page of items, and the cursor of the next when there is one. */
export interface Page<T> {
  items: T[];
  continue?: string;
}

/** Orders keys field by field, by UTF-16 code units (never the locale: a cursor must mean the same everywhere). */
export function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const [x, y] = [a[i] ?? '', b[i] ?? ''];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

const encodeCursor = (key: SortKey): string => Buffer.from(JSON.stringify(key)).toString('base64url');

/** The sort key a `continue` names (fields strings, as many as the route's keys have); 400 for anything else. */
export function decodeCursor(token: string | undefined, fields: number): SortKey | undefined {
  if (token === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (Array.isArray(key) && key.length === fields && key.every((k) => typeof k === 'string')) return key;
  const details = [{ field: 'continue', message: 'must be the "continue" of a previous page of this route' }];
  throw new BadRequestError(`Invalid request query: ${describeProblems(details)}.`, {
    code: 'INVALID_REQUEST',
    details,
  });
}

/** The first `limit` of items after the key `after`, in key order, with the cursor of the next page if more follow. */
export function cutPage<T>(
  items: T[],
  keyOf: (item: T) => SortKey,
  after: SortKey | undefined,
  limit: number,
): Page<T> {
  const keyed = items.map((item) => ({ item, key: keyOf(item) })).sort((a, b) => compareKeys(a.key, b.key));
  const rest = after ? keyed.filter((k) => compareKeys(k.key, after) > 0) : keyed;
  const page = rest.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((k) => k.item),
    ...(rest.length > limit && last ? { continue: encodeCursor(last.key) } : {}),
  };
}

/**
 * Every object of kind the selectors match, from the watch cache, 500 per call; each once (a list restarted after a
 * 410 repeats some) and with its kind, which the items of a list do not carry.
 */
export async function listAll<T extends KubernetesObject>(
  resources: ResourceClient,
  kind: Kind,
  options: Pick<ListOptions, 'namespace' | 'labelSelector' | 'fieldSelector'>,
): Promise<T[]> {
  const seen = new Map<string, T>();
  const cached = { ...options, limit: 500, resourceVersion: '0' } as const;
  for await (const page of resources.pages<T>(kind.apiVersion, kind.kind, cached)) {
    for (const obj of page) seen.set(obj.metadata?.uid ?? obj.metadata?.name ?? '', { ...obj, ...kind });
  }
  return [...seen.values()];
}
