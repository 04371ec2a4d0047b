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

/** The claims, among pending's, that the cache now shows Bound, by name, as the cache shows them. */
async function boundNow(scope: TenantScope, pending: Awaited[]): Promise<Map<string, V1PersistentVolumeClaim>> {
  const bound = new Map<string, V1PersistentVolumeClaim>();
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
        if (names.has(c.metadata!.name!) && c.status?.phase === 'Bound') bound.set(c.metadata!.name!, c);
  }
  return bound;
}

/**
 * The outcomes' claims seen Bound by `until`, by name, as the cache showed them (a claim answered Bound already needs
 * no wait); a failed list ends the wait with what is known: the claims stay, and the caller reads them again.
 */
export async function waitUntilBound(
  scope: TenantScope,
  outcomes: { value?: { claim: V1PersistentVolumeClaim }; result: { username: string } }[],
  until: number,
): Promise<Map<string, V1PersistentVolumeClaim>> {
  const bound = new Map<string, V1PersistentVolumeClaim>();
  let pending: Awaited[] = outcomes.flatMap((o) =>
    o.value && o.value.claim.status?.phase !== 'Bound' ? [{ claim: o.value.claim, username: o.result.username }] : [],
  );
  while (pending.length > 0 && Date.now() + pollMs <= until) {
    await sleep(pollMs);
    const now = await boundNow(scope, pending).catch(() => undefined);
    if (!now) break;
    for (const [name, claim] of now) bound.set(name, claim);
    pending = pending.filter((p) => !bound.has(p.claim.metadata!.name!));
  }
  return bound;
}
