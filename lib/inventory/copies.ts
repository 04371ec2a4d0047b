// The tenant's copies, bare Pods and Jobs (a Job's pods belong to its item), their states, and why the failed or stuck
// ones are, a page at a time in name order (page.ts says how pages are read and cut).
import type { V1Job, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import type { z } from 'zod';
import type { CopyObject } from '../copies/render.ts';
import { finishedAt, isStuck, statusReason } from '../copies/status.ts';
import { jobKind, podKind } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { belongsToTenant, ownerSelector } from '../ownership/ownership.ts';
import type { TenantScope } from '../tenants/scope.ts';
import { listedReads } from './listed.ts';
import { cutPage, decodeCursor, listAll } from './page.ts';
import type { CopyInventory, CopyInventoryItem, CopyInventoryQuery, copyStates } from './schemas.ts';

export type CopyState = (typeof copyStates)[number];

/** The tenant's copies, and every pod labelled for the tenant, its Jobs' pods among them (their reasons read them). */
export interface TenantCopies {
  copies: CopyObject[];
  pods: V1Pod[];
}

const ownedByJob = (pod: V1Pod): boolean => (pod.metadata?.ownerReferences ?? []).some((r) => r.kind === 'Job');

/** The tenant's Pods (not a Job's) and Jobs, each marked for it: two lists, whatever their number. */
export async function tenantCopies({ resources, namespace, tenant }: TenantScope): Promise<TenantCopies> {
  const options = { namespace, labelSelector: ownerSelector({ tenant: tenant.id }) };
  const [pods, jobs] = await Promise.all([
    listAll<V1Pod>(resources, podKind, options),
    listAll<V1Job>(resources, jobKind, options),
  ]);
  const copies = [...pods.filter((p) => !ownedByJob(p)), ...jobs].filter((c) => belongsToTenant(c, tenant.id));
  return { copies, pods };
}

/** running until it finished (pending and stuck ones too), then succeeded or failed. */
export function copyState(copy: CopyObject): CopyState {
  if (finishedAt(copy) === undefined) return 'running';
  const succeeded =
    copy.kind === 'Pod'
      ? (copy as V1Pod).status?.phase === 'Succeeded'
      : (copy as V1Job).status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
  return succeeded ? 'succeeded' : 'failed';
}

/** The claims copy mounts, each once, in the order of its volumes. */
export function claimsOf(copy: CopyObject): string[] {
  const spec: V1PodSpec | undefined = copy.kind === 'Pod' ? (copy as V1Pod).spec : (copy as V1Job).spec?.template.spec;
  const names = (spec?.volumes ?? []).flatMap((v) => v.persistentVolumeClaim?.claimName ?? []);
  return [...new Set(names)];
}

type Item = z.infer<typeof CopyInventoryItem>;

/** One copy as the route lists it; why it is stuck is asked only of a running one, and only from what was listed. */
async function itemOf(reads: ResourceClient, copy: CopyObject): Promise<Item> {
  const state = copyState(copy);
  const reason = state === 'succeeded' ? undefined : await statusReason(reads, copy);
  const stuck = state === 'running' && isStuck(reason);
  const finished = finishedAt(copy);
  return {
    name: copy.metadata!.name!,
    kind: copy.kind as Item['kind'],
    state,
    stuck,
    createdAt: String(copy.metadata?.creationTimestamp ?? ''),
    ...(finished ? { finishedAt: new Date(finished).toISOString() } : {}),
    claims: claimsOf(copy),
    ...(reason && (state === 'failed' || stuck) ? { statusReason: reason } : {}),
  };
}

/**
 * A page of the tenant's copies, optionally of one state: two lists (Pods, Jobs), and the namespace's warning events
 * listed once if a copy on the page needs them to say why it is stuck or failed.
 */
export async function listCopies(
  scope: TenantScope,
  input: CopyInventoryQuery,
): Promise<z.infer<typeof CopyInventory>> {
  const after = decodeCursor(input.continue, 2);
  const { copies, pods } = await tenantCopies(scope);
  const chosen = input.state ? copies.filter((c) => copyState(c) === input.state) : copies;
  const page = cutPage(chosen, (c) => [c.metadata!.name!, c.kind!], after, input.limit);
  const reads = listedReads(scope.resources, { namespace: scope.namespace, pods, eventSelector: 'type=Warning' });
  return { ...page, items: await Promise.all(page.items.map((c) => itemOf(reads, c))) };
}
