// A cleanup run: finished Pods and Jobs past retention and Released volumes on a schedule; everything of a removed
// tenant on request. It touches only objects carrying the service's labels, pages through lists, and reports each
// action.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { KubernetesObject, V1ConfigMap, V1Job, V1PersistentVolume, V1Pod } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import type { CleanupSettings } from '../config/settings.ts';
import { finishedAt } from '../copies/status.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { outcomeLabel, outcomeTtlMs } from '../idempotency/outcomes.ts';
import { claimKind, configMapKind, jobKind, type Kind, podKind, refOfKind, volumeKind } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { currentResults } from '../operations/operations.ts';
import { operationLabel, operationTtlMs, recordOf, settleRecord } from '../operations/record.ts';
import {
  belongsToTenant,
  managedSelector,
  markedTenant,
  ownerSelector,
  recordsNamespace,
} from '../ownership/ownership.ts';
import { type Kept, keptOf, snapshotOfLabel } from '../snapshots/index.ts';
import { pruneArchives } from '../snapshots/snapshots.ts';
import { advanceTerms } from '../snapshots/terms.ts';
import type { TenantDirectory } from '../tenants/directory.ts';
import { tenantNamespaces } from '../tenants/namespaces.ts';
import type { TenantScope } from '../tenants/scope.ts';
import { type CleanupAction, CleanupReport, type CleanupSummary } from './report.ts';
import type { CleanupRequest } from './request.ts';

export interface CleanupContext {
  resources: ResourceClient;
  tenants: TenantDirectory;
  logger: Logger;
  /** Where the run's counts go (CleanupActions by action, CleanupFailures); none in tests that do not read them. */
  metrics?: Metrics;
  settings: CleanupSettings;
  /** A tenant's scope (its record looked up): what makes the copy that removes expired snapshots' archives. */
  scope?: (tenant: string) => Promise<TenantScope>;
  now?: () => number;
}

/** What a tenant's removal deletes, in order: Jobs and Pods first, so that they let go of the claims; volumes last. */
const removalOrder = [
  [jobKind, 'deleteJob'],
  [podKind, 'deletePod'],
  [claimKind, 'deleteClaim'],
  [volumeKind, 'deleteVolume'],
] as const;

/** A Pod the service made itself, not one of its Jobs' pods (those carry the label too, and go with their Job). */
const isBarePod = (pod: V1Pod): boolean => !pod.metadata?.ownerReferences?.length;

class Run {
  readonly report: CleanupReport;
  private readonly ctx: CleanupContext;
  readonly dryRun: boolean;
  private readonly namespaces: string[];
  /** "Kind in namespace" that could not be listed this run. */
  private readonly unlisted = new Set<string>();

  constructor(ctx: CleanupContext, report: CleanupReport, dryRun: boolean, namespaces: string[]) {
    this.ctx = ctx;
    this.report = report;
    this.dryRun = dryRun;
    this.namespaces = namespaces;
  }

  /** Records action on obj, doing it unless this is a dry run; a failure is reported and the run goes on. */
  async act(action: CleanupAction, obj: KubernetesObject, change?: () => Promise<unknown>): Promise<void> {
    if (this.dryRun || !change) return this.report.record(action, obj);
    try {
      await change();
      this.report.record(action, obj);
    } catch (err) {
      if (err instanceof NotFoundError) return; // gone meanwhile: nothing left to do
      this.report.fail(action, obj, err);
    }
  }

  /**
   * Applies visit to every object of kind matching selector (volumes cluster-wide, the rest in each tenant namespace),
   * a page at a time, a few changes at once. A namespace that cannot be listed is reported and the run goes on.
   */
  async each<T extends KubernetesObject>(
    kind: Kind,
    selector: string,
    visit: (o: T) => Promise<void>,
    namespaces: (string | undefined)[] = kind === volumeKind ? [undefined] : this.namespaces,
  ): Promise<void> {
    const limit = pLimit(this.ctx.settings.concurrency);
    for (const namespace of namespaces) {
      const what = `${kind.kind} in ${namespace}`;
      if (this.unlisted.has(what)) continue; // reported once a run
      const options = { namespace, labelSelector: selector, limit: this.ctx.settings.pageSize };
      try {
        for await (const page of this.ctx.resources.pages<T>(kind.apiVersion, kind.kind, options)) {
          await Promise.all(page.map((o) => limit(() => visit(o))));
        }
      } catch (err) {
        if (namespace === undefined) throw err;
        this.unlisted.add(what);
        this.report.fail('list', { metadata: { name: what } }, err);
      }
    }
  }

  delete(kind: Kind, o: KubernetesObject): Promise<void> {
    return this.ctx.resources.delete(refOfKind(kind, o), { uid: o.metadata?.uid, propagationPolicy: 'Background' });
  }
}

async function scheduled(
  ctx: CleanupContext,
  request: Extract<CleanupRequest, { action: 'scheduled' }>,
): Promise<CleanupReport> {
  const run = new Run(
    ctx,
    new CleanupReport({ mode: 'scheduled', dryRun: request.dryRun }),
    request.dryRun,
    await tenantNamespaces(ctx.resources),
  );
  const cutoff = (ctx.now ?? Date.now)() - (request.retentionSeconds ?? ctx.settings.retentionSeconds) * 1000;
  const policy = request.pvPolicy ?? ctx.settings.policy;

  // Before the copies go: an operation's results are read from them.
  await operationRecords(ctx, run);
  await run.each<V1Job>(jobKind, managedSelector, async (job) => {
    const finished = finishedAt({ ...job, kind: 'Job' });
    if (finished !== undefined && finished <= cutoff) await run.act('deleteJob', job, () => run.delete(jobKind, job));
  });
  // Pods have no TTL of their own: a finished one is kept for the retention, so that its result can be read, then goes.
  await run.each<V1Pod>(podKind, managedSelector, async (pod) => {
    if (!isBarePod(pod) || markedTenant(pod) === undefined) return;
    const finished = finishedAt({ ...pod, kind: 'Pod' });
    if (finished !== undefined && finished <= cutoff) await run.act('deletePod', pod, () => run.delete(podKind, pod));
  });
  await run.each<V1PersistentVolume>(volumeKind, managedSelector, async (pv) => {
    if (pv.status?.phase !== 'Released') return;
    // Recycled already (no claim uid left), and the PV controller has not yet marked it Available: nothing to do.
    if (policy === 'recycle' && !pv.spec?.claimRef?.uid) return;
    if (policy === 'keep') return run.act('keepVolume', pv);
    if (policy === 'delete') return run.act('deleteVolume', pv, () => run.delete(volumeKind, pv));
    // Recycle: drop the gone claim's uid but keep its name, so the same user's next claim binds again, data kept.
    // resourceVersion makes the patch fail, and be reported, if the volume changed since it was listed.
    await run.act('recycleVolume', pv, () =>
      ctx.resources.mergePatch(refOfKind(volumeKind, pv), {
        metadata: { resourceVersion: pv.metadata?.resourceVersion },
        spec: { claimRef: { uid: null, resourceVersion: null } },
      }),
    );
  });
  await expiredOutcomes(ctx, run);
  await expiredSnapshots(ctx, run);
  await endsOfTerm(ctx, run);
  await orphans(ctx, run);
  return run.report;
}

/**
 * Class operations: one whose copies all ended has its results kept in its record (they outlive the copies, which
 * this run may retire); a record past its 30 days goes. An operation still running is read again next run.
 */
async function operationRecords(ctx: CleanupContext, run: Run): Promise<void> {
  const now = (ctx.now ?? Date.now)();
  const visit = async (cm: V1ConfigMap): Promise<void> => {
    if (new Date(cm.metadata?.creationTimestamp as unknown as string).getTime() <= now - operationTtlMs)
      return run.act('deleteOperation', cm, () => run.delete(configMapKind, cm));
    const tenant = markedTenant(cm);
    const record = tenant ? recordOf(cm, tenant) : undefined;
    if (!record || record.results) return;
    const operation = await currentResults(ctx.resources, record, now).catch((err: unknown) => {
      run.report.fail('settleOperation', cm, err);
      return undefined;
    });
    if (operation && operation.state !== 'Running')
      await run.act('settleOperation', cm, () => settleRecord(ctx.resources, record, operation));
  };
  await run.each<V1ConfigMap>(configMapKind, `${managedSelector},${operationLabel}`, visit, [recordsNamespace]);
}

/**
 * Snapshots past SNAPSHOT_RETENTION_DAYS: for each tenant, one copy removes their archives from its store, then their
 * index entries go (an entry whose archive could not be removed stays, and is tried again next run).
 */
async function expiredSnapshots(ctx: CleanupContext, run: Run): Promise<void> {
  const days = ctx.settings.snapshotRetentionDays;
  if (!days || !ctx.scope) return;
  const before = (ctx.now ?? Date.now)() - days * 24 * 60 * 60 * 1000;
  const byTenant = new Map<string, (Kept & { configMap: V1ConfigMap })[]>();
  const collect = async (cm: V1ConfigMap): Promise<void> => {
    const tenant = markedTenant(cm);
    const kept = tenant ? keptOf(cm, tenant) : undefined;
    if (tenant && kept && Date.parse(kept.takenAt) <= before)
      byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), kept]);
  };
  await run.each<V1ConfigMap>(configMapKind, `${managedSelector},${snapshotOfLabel}`, collect, [recordsNamespace]);
  for (const [tenant, expired] of byTenant) {
    const pruned = await ctx
      .scope(tenant)
      .then(async (scope) => {
        if (!run.dryRun) await pruneArchives(scope, expired);
        return true;
      })
      .catch((err: unknown) => {
        for (const kept of expired) run.report.fail('deleteSnapshot', kept.configMap, err);
        return false;
      });
    if (!pruned) continue;
    for (const kept of expired)
      await run.act('deleteSnapshot', kept.configMap, () => run.delete(configMapKind, kept.configMap));
  }
}

/** Ends of term still archiving, carried on: a student whose archive is kept has their claim and volume removed. */
async function endsOfTerm(ctx: CleanupContext, run: Run): Promise<void> {
  if (!ctx.scope || run.dryRun) return;
  const { advanced, failed } = await advanceTerms(ctx.resources, ctx.scope);
  for (const name of advanced) run.report.record('advanceTerm', { metadata: { namespace: recordsNamespace, name } });
  for (const f of failed)
    run.report.fail('advanceTerm', { metadata: { namespace: recordsNamespace, name: f.name } }, f.error);
}

/** Outcomes kept for Idempotency-Key retries answer them for a day; after that the key starts afresh anyway. */
async function expiredOutcomes(ctx: CleanupContext, run: Run): Promise<void> {
  const before = (ctx.now ?? Date.now)() - outcomeTtlMs;
  const expired = async (cm: KubernetesObject): Promise<void> => {
    if (new Date(cm.metadata?.creationTimestamp as unknown as string).getTime() <= before)
      await run.act('deleteOutcome', cm, () => run.delete(configMapKind, cm));
  };
  await run.each(configMapKind, `${managedSelector},${outcomeLabel}`, expired, [recordsNamespace]);
}

/**
 * Objects of tenants the tenant service no longer knows (a removal whose event was lost): reported, and deleted only
 * under CLEANUP_ORPHANS=delete. A tenant counts as gone only on the service's own "no such tenant", asked afresh; a
 * tenant service that fails or cannot be reached makes no one an orphan.
 */
async function orphans(ctx: CleanupContext, run: Run): Promise<void> {
  const known = new Map<string, Promise<boolean>>();
  const isGone = (tenant: string): Promise<boolean> => {
    if (!known.has(tenant)) {
      known.set(
        tenant,
        ctx.tenants.get(tenant, { fresh: true }).then(
          () => false,
          (err: unknown) => err instanceof NotFoundError,
        ),
      );
    }
    return known.get(tenant)!;
  };
  for (const [kind, action] of removalOrder) {
    await run.each(kind, managedSelector, async (o) => {
      const tenant = markedTenant(o);
      if (tenant === undefined || (kind === podKind && !isBarePod(o)) || !(await isGone(tenant))) return;
      run.report.orphanTenant(tenant);
      if (ctx.settings.orphans === 'delete') await run.act(action, o, () => run.delete(kind, o));
      else await run.act('reportOrphan', o);
    });
  }
}

async function tenantRemoved(
  ctx: CleanupContext,
  request: Extract<CleanupRequest, { action: 'tenant-removed' }>,
): Promise<CleanupReport> {
  const { tenant } = request;
  if (!request.force) {
    // A mistaken event must not wipe a live tenant: go on only once the tenant service says it is gone.
    const stillThere = await ctx.tenants.get(tenant, { fresh: true }).then(
      () => true,
      (err: unknown) => {
        if (err instanceof NotFoundError) return false;
        throw err;
      },
    );
    if (stillThere) {
      throw new ConflictError(
        `Tenant ${tenant} still exists in the tenant service; nothing was deleted (send force: true to clean up anyway).`,
        {
          code: 'TENANT_STILL_EXISTS',
        },
      );
    }
  }
  const namespaces = await tenantNamespaces(ctx.resources, tenant);
  const run = new Run(
    ctx,
    new CleanupReport({ mode: 'tenant-removed', dryRun: request.dryRun, tenant }),
    request.dryRun,
    namespaces,
  );
  const selector = ownerSelector({ tenant });
  for (const [kind, action] of removalOrder) {
    await run.each(kind, selector, async (o) => {
      if (kind === podKind && !isBarePod(o)) return;
      if (belongsToTenant(o, tenant)) await run.act(action, o, () => run.delete(kind, o));
    });
  }
  // Its records (Idempotency-Key outcomes, notices) go with it.
  const record = async (o: KubernetesObject): Promise<void> => {
    if (belongsToTenant(o, tenant)) await run.act('deleteRecord', o, () => run.delete(configMapKind, o));
  };
  await run.each(configMapKind, selector, record, [recordsNamespace]);
  return run.report;
}

/** Runs one cleanup request and returns its summary, also written as log lines. */
export async function runCleanup(ctx: CleanupContext, request: CleanupRequest): Promise<CleanupSummary> {
  const report = request.action === 'scheduled' ? await scheduled(ctx, request) : await tenantRemoved(ctx, request);
  const summary = report.log(ctx.logger);
  if (ctx.metrics && !request.dryRun) report.measure(ctx.metrics);
  return summary;
}
