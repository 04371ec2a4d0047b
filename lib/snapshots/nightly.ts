// The nightly snapshot (SNAPSHOT_NIGHTLY): each night, a snapshot of every student's claim that a pod used in the last
// day: a notebook, or a class operation's copy (never a snapshot's own copies, or every volume would be used every
// night). One snapshot a claim a night: its Idempotency-Key is the date and the claim.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { listAll } from '../inventory/page.ts';
import { claimKind, podKind } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { markedTenant, ownerSelector } from '../ownership/ownership.ts';
import { tenantNamespaceOwners } from '../tenants/namespaces.ts';
import type { TenantScope } from '../tenants/scope.ts';
import { snapshotAnnotation, takeSnapshot } from './snapshots.ts';
import { storeKey } from './store.ts';

const dayMs = 24 * 60 * 60 * 1000;

export interface NightlySummary {
  namespaces: number;
  taken: number;
  failed: { namespace: string; claim?: string; error: string }[];
}

/** Whether pod used its claims since since: running or waiting, or ended since; a snapshot's own copies never count. */
function usedSince(pod: V1Pod, since: number): boolean {
  if (pod.metadata?.annotations?.[snapshotAnnotation] !== undefined) return false;
  const phase = pod.status?.phase;
  if (phase === 'Running' || phase === 'Pending') return true;
  const ends = (pod.status?.containerStatuses ?? []).map((c) => Date.parse(String(c.state?.terminated?.finishedAt)));
  return ends.some((t) => t >= since);
}

/** The claims the tenant's students' pods used in the last day, each with its student (username, tag). */
async function usedClaims(scope: TenantScope, since: number) {
  const [pods, claims] = await Promise.all([
    listAll<V1Pod>(scope.resources, podKind, { namespace: scope.namespace }),
    listAll<V1PersistentVolumeClaim>(scope.resources, claimKind, {
      namespace: scope.namespace,
      labelSelector: ownerSelector({ tenant: scope.tenant.id }),
    }),
  ]);
  const used = new Set(
    pods
      .filter((p) => usedSince(p, since))
      .flatMap((p) => (p.spec?.volumes ?? []).flatMap((v) => v.persistentVolumeClaim?.claimName ?? [])),
  );
  return claims.flatMap((c) => {
    const annotations = c.metadata?.annotations ?? {};
    const [username, tag] = [annotations['moop.io/user'], annotations['moop.io/tag']];
    if (!used.has(c.metadata!.name!) || markedTenant(c) !== scope.tenant.id || !username || !tag) return [];
    if (username === storeKey.username) return [];
    return [{ claim: c.metadata!.name!, username, tag }];
  });
}

/** One nightly run over every tenant namespace; a tenant whose record cannot be read is passed by, and reported. */
export async function nightlySnapshots(ctx: {
  resources: ResourceClient;
  scope: (tenant: string) => Promise<TenantScope>;
  logger: Logger;
  now?: () => number;
}): Promise<NightlySummary> {
  const now = (ctx.now ?? Date.now)();
  const date = new Date(now).toISOString().slice(0, 10);
  const summary: NightlySummary = { namespaces: 0, taken: 0, failed: [] };
  const limit = pLimit(8);
  for (const [namespace, tenant] of await tenantNamespaceOwners(ctx.resources)) {
    summary.namespaces++;
    try {
      const scope = await ctx.scope(tenant);
      const used = await usedClaims(scope, now - dayMs);
      await Promise.all(
        used.map(({ claim, username, tag }) =>
          limit(async () => {
            try {
              const note = `nightly ${date}`;
              await takeSnapshot(scope, { username, tag, note }, { idempotencyKey: `nightly/${date}/${claim}` });
              summary.taken++;
            } catch (err) {
              summary.failed.push({ namespace, claim, error: (err as Error).message });
            }
          }),
        ),
      );
    } catch (err) {
      summary.failed.push({ namespace, error: (err as Error).message });
    }
  }
  ctx.logger.info('nightly snapshots', { ...summary });
  return summary;
}
