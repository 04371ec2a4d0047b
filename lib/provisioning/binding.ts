// Waiting for a class's claims to be Bound: one labelled list of the claims still Pending at each poll (the watch
// cache, by their users' labels, a hundred users a list), never a read per claim.
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { labelValue } from '../kube/names.ts';
import { claimKind } from '../kube/objects.ts';
import { ownerSelector } from '../ownership/ownership.ts';
import type { TenantScope } from '../tenants/scope.ts';

const pollMs = 500;
const usersPerList = 100;

/** A claim to wait for: its name, and the user whose label selects it. */
interface Awaited {
  claim: V1PersistentVolumeClaim;
  username: string;
}

/** The names, among pending's claims, that the cache now shows Bound. */
async function boundNow(scope: TenantScope, pending: Awaited[]): Promise<Set<string>> {
  const bound = new Set<string>();
  const names = new Set(pending.map((p) => p.claim.metadata!.name!));
  for (let i = 0; i < pending.length; i += usersPerList) {
    const users = [...new Set(pending.slice(i, i + usersPerList).map((p) => labelValue(p.username)))];
    const labelSelector = `${ownerSelector({ tenant: scope.tenant.id })},moop.io/user in (${users.join(',')})`;
    const options = { namespace: scope.namespace, labelSelector, limit: 500, resourceVersion: '0' as const };
    for await (const page of scope.resources.pages<V1PersistentVolumeClaim>(
      claimKind.apiVersion,
      claimKind.kind,
      options,
    ))
      for (const c of page)
        if (names.has(c.metadata!.name!) && c.status?.phase === 'Bound') bound.add(c.metadata!.name!);
  }
  return bound;
}

/**
 * The names of the outcomes' claims that are Bound by `until` (a claim answered Bound already counts); a failed list
 * ends the wait with what is known: the claims stay, and the caller reads them again.
 */
export async function waitUntilBound(
  scope: TenantScope,
  outcomes: { value?: { claim: V1PersistentVolumeClaim }; result: { username: string } }[],
  until: number,
): Promise<Set<string>> {
  const bound = new Set<string>();
  let pending: Awaited[] = outcomes.flatMap((o) =>
    o.value && o.value.claim.status?.phase !== 'Bound' ? [{ claim: o.value.claim, username: o.result.username }] : [],
  );
  while (pending.length > 0 && Date.now() + pollMs <= until) {
    await sleep(pollMs);
    const now = await boundNow(scope, pending).catch(() => undefined);
    if (!now) break;
    for (const name of now) bound.add(name);
    pending = pending.filter((p) => !bound.has(p.claim.metadata!.name!));
  }
  return bound;
}
