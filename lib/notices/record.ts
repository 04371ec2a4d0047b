// A notice asked for: a ConfigMap in the service's records namespace (never a tenant's, whose ConfigMaps it may not
// read), marked for its tenant and naming the namespace and object it is about, so that it outlives its target (a copy
// deleted before it was told is told as such), is listed from the watch cache with one call for every tenant, and
// changes only under a resourceVersion precondition (of two notifier runs, one claims a notice, never both).
import type { V1ConfigMap } from '@kubernetes/client-node';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors.ts';
import { shortHash } from '../kube/names.ts';
import { configMapKind, refOfKind } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { markOwned, recordsNamespace } from '../ownership/ownership.ts';
import { type NoticeType, noticeTypes } from './schemas.ts';

/** Label of a notice's ConfigMap (its value: the kind it is about), which the notifier lists by. */
export const noticeLabel = 'moop.io/notice-for';

/** What a notice is about: a copy Pod or Job, a claim, or a class operation (its record's uid). */
export interface NoticeTarget {
  kind: 'Pod' | 'Job' | 'PersistentVolumeClaim' | 'Operation';
  name: string;
  uid: string;
}

/** A notice as kept: whom and what it is for, what was told already, and a publication under way, if any. */
export interface Notice {
  configMap: V1ConfigMap;
  tenant: string;
  namespace: string;
  target: NoticeTarget;
  correlationId: string;
  username?: string;
  requestedAt: string;
  told: NoticeType[];
  publishing?: { type: NoticeType; since: string };
}

/** What a request asks: tell correlationId about target, in tenant's namespace. */
export interface NoticeRequest {
  tenant: string;
  namespace: string;
  target: NoticeTarget;
  correlationId: string;
  username?: string;
}

/** Keeps a notice request; the notifier tells it. */
export async function recordNotice(resources: ResourceClient, request: NoticeRequest, now = new Date()): Promise<void> {
  const { tenant, namespace, target } = request;
  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `notice-${tenant}-${shortHash([namespace, target.kind, target.name, target.uid], 26)}`,
      namespace: recordsNamespace,
      labels: { [noticeLabel]: target.kind },
    },
    data: {
      namespace,
      target: JSON.stringify(target),
      correlationId: request.correlationId,
      ...(request.username !== undefined ? { username: request.username } : {}),
      requestedAt: now.toISOString(),
      told: '[]',
    },
  };
  await resources.create(markOwned(configMap, { tenant }));
}

// What a kept notice must hold to be told: JSON that parses is not yet a notice (a uid-less target would be told as
// deleted, a told that is no list would throw and leave every notice of its namespace untold).
const noticeType = z.enum(Object.keys(noticeTypes) as [NoticeType, ...NoticeType[]]);
const Kept = z.object({
  namespace: z.string().min(1),
  target: z.object({
    kind: z.enum(['Pod', 'Job', 'PersistentVolumeClaim', 'Operation']),
    name: z.string().min(1),
    uid: z.string().min(1),
  }),
  correlationId: z.string().min(1),
  told: z.array(noticeType),
});

/** A listed ConfigMap as a notice; undefined for one that is not a well-formed notice (it is left alone). */
export function noticeOf(configMap: V1ConfigMap, tenant: string): Notice | undefined {
  const data = configMap.data ?? {};
  let kept: z.infer<typeof Kept>;
  try {
    const parsed = Kept.safeParse({
      ...data,
      target: JSON.parse(data.target ?? ''),
      told: JSON.parse(data.told ?? '[]'),
    });
    if (!parsed.success) return undefined;
    kept = parsed.data;
  } catch {
    return undefined;
  }
  const publishing = data.publishing ? { type: data.publishing as NoticeType, since: data.since ?? '' } : undefined;
  return {
    configMap: { ...configMap, ...configMapKind },
    tenant,
    namespace: kept.namespace,
    target: { kind: kept.target.kind, name: kept.target.name, uid: kept.target.uid },
    correlationId: kept.correlationId,
    ...(data.username !== undefined ? { username: data.username } : {}),
    requestedAt: data.requestedAt ?? configMap.metadata?.creationTimestamp?.toString() ?? '',
    told: kept.told,
    ...(publishing ? { publishing } : {}),
  };
}

const ref = (notice: Notice) => refOfKind(configMapKind, notice.configMap);

/**
 * Claims notice for publishing type: only if it is unchanged since it was listed, so a concurrent run that claimed it
 * first wins and this one passes it by (undefined).
 */
export async function claimNotice(
  resources: ResourceClient,
  notice: Notice,
  type: NoticeType,
  now: Date,
): Promise<Notice | undefined> {
  const patch = {
    metadata: { resourceVersion: notice.configMap.metadata?.resourceVersion },
    data: { publishing: type, since: now.toISOString() },
  };
  const claimed = await resources.mergePatch<V1ConfigMap>(ref(notice), patch).catch((err: unknown) => {
    if (err instanceof ConflictError || err instanceof NotFoundError) return undefined;
    throw err;
  });
  return claimed ? { ...notice, configMap: claimed, publishing: { type, since: now.toISOString() } } : undefined;
}

/** After type was published: a final notice is deleted; another records type as told and watches on. */
export async function settleNotice(resources: ResourceClient, notice: Notice, type: NoticeType, final: boolean) {
  const precondition = { resourceVersion: notice.configMap.metadata?.resourceVersion };
  if (final) return resources.delete(ref(notice), { uid: notice.configMap.metadata?.uid, ...precondition });
  await resources.mergePatch(ref(notice), {
    metadata: precondition,
    data: { told: JSON.stringify([...notice.told, type]), publishing: null, since: null },
  });
}
