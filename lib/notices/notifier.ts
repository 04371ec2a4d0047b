// The notifier: a scheduled run that finds, from the watch cache, the notices whose targets reached an end, claims each
// (a precondition: one run wins), publishes, then settles it. Delivery is at least once: a run that dies, or whose
// settling fails, after EventBridge took an event, leaves the notice claimed; once the claim's lease has passed the
// next run publishes it again, with the same eventId.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { KubernetesObject, V1ConfigMap, V1Job, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import type { Publisher } from '../aws/events.ts';
import { UnavailableError } from '../errors.ts';
import { listedReads } from '../inventory/listed.ts';
import { listAll } from '../inventory/page.ts';
import { claimKind, configMapKind, jobKind, type Kind, podKind, refOfKind } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { operationLabel, recordOf } from '../operations/record.ts';
import { managedSelector, markedTenant, recordsNamespace } from '../ownership/ownership.ts';
import { tenantNamespaceOwners } from '../tenants/namespaces.ts';
import { eventOf, type Judgement, type Outcome, outcomeOf } from './outcomes.ts';
import { claimNotice, type Notice, noticeLabel, noticeOf, settleNotice } from './record.ts';
import { type NoticeType, noticeTypes } from './schemas.ts';

/** How long a claimed notice is left to the run that claimed it: longer than a run may last. */
export const leaseSeconds = 120;
const graceSeconds = 30;

export interface NotifierSettings {
  pendingSeconds: number;
  concurrency: number;
}

export interface NotifierContext {
  resources: ResourceClient;
  publisher: Publisher;
  logger: Logger;
  settings: NotifierSettings;
  now?: () => number;
}

export interface NotifierSummary {
  namespaces: number;
  notices: number;
  published: Partial<Record<NoticeType, number>>;
  /** Notices whose event EventBridge did not take: published again by a later run. */
  unpublished: number;
  /** Namespaces whose notices or targets could not be listed: tried again by a later run. */
  unlisted: number;
}

const withKind = <T extends KubernetesObject>(kind: Kind, objs: T[]): T[] => objs.map((o) => ({ ...o, ...kind }));

/**
 * What one namespace's notices may be about, by uid (its operations' records among them), and reads of why answered
 * from the same lists.
 */
async function targetsIn(resources: ResourceClient, namespace: string, operations: V1ConfigMap[]) {
  const options = { namespace, labelSelector: managedSelector };
  const [pods, jobs, claims] = await Promise.all([
    listAll<V1Pod>(resources, podKind, options),
    listAll<V1Job>(resources, jobKind, options),
    listAll<V1PersistentVolumeClaim>(resources, claimKind, options),
  ]);
  const all = [
    ...withKind(podKind, pods),
    ...withKind(jobKind, jobs),
    ...withKind(claimKind, claims),
    ...operations.map((o) => ({ ...o, kind: 'Operation' })),
  ];
  return {
    byUid: new Map<string, KubernetesObject>(all.map((o) => [o.metadata!.uid!, o])),
    reads: {
      copies: listedReads(resources, { namespace, pods, eventSelector: 'type=Warning' }),
      claims: listedReads(resources, { namespace, eventSelector: `involvedObject.kind=${claimKind.kind}` }),
      listed: { pods, jobs },
    },
  };
}

const add = <T>(map: Map<string, T[]>, key: string, value: T) => map.set(key, [...(map.get(key) ?? []), value]);

/**
 * Every notice kept, and every class operation's record (what an operation's notice is about), by the namespace they
 * are about: one list of the records namespace for every tenant. Malformed ones are passed by.
 */
async function recordsByNamespace(resources: ResourceClient) {
  const maps = await listAll<V1ConfigMap>(resources, configMapKind, {
    namespace: recordsNamespace,
    labelSelector: managedSelector,
  });
  const notices = new Map<string, Notice[]>();
  const operations = new Map<string, V1ConfigMap[]>();
  for (const m of maps) {
    const tenant = markedTenant(m);
    const labels = m.metadata?.labels ?? {};
    if (!tenant) continue;
    const notice = labels[noticeLabel] !== undefined ? noticeOf(m, tenant) : undefined;
    if (notice) add(notices, notice.namespace, notice);
    const record = labels[operationLabel] !== undefined ? recordOf(m, tenant) : undefined;
    if (record) add(operations, record.plan.namespace, m);
  }
  return { notices, operations };
}

type Due = { notice: Notice; outcome: Outcome };

/** The notices of a namespace that have an outcome to tell, each claimed by this run. */
async function claimDue(
  ctx: NotifierContext,
  namespace: string,
  notices: Notice[],
  operations: V1ConfigMap[],
  judgement: Judgement,
) {
  const { byUid, reads } = await targetsIn(ctx.resources, namespace, operations);
  const limit = pLimit(ctx.settings.concurrency);
  const due = await Promise.all(
    notices.map((notice) =>
      limit(async (): Promise<Due | undefined> => {
        const since = notice.publishing ? Date.parse(notice.publishing.since) : Number.NEGATIVE_INFINITY;
        if (judgement.now.getTime() - since < leaseSeconds * 1000) return undefined; // another run is telling it
        const found = byUid.get(notice.target.uid);
        const target = found?.kind === notice.target.kind ? found : undefined;
        const outcome = await outcomeOf(notice, target, reads, judgement);
        const claimed = outcome && (await claimNotice(ctx.resources, notice, outcome.type, judgement.now));
        return claimed ? { notice: claimed, outcome: outcome! } : undefined;
      }),
    ),
  );
  return due.filter((d): d is Due => d !== undefined);
}

/** Gives back this run's claim of a notice whose event EventBridge did not take (only if the claim is still this run's). */
function releaseNotice(resources: ResourceClient, notice: Notice): Promise<unknown> {
  return resources.mergePatch(refOfKind(configMapKind, notice.configMap), {
    metadata: { resourceVersion: notice.configMap.metadata?.resourceVersion },
    data: { publishing: null, since: null },
  });
}

/** Publishes the due notices, then settles those EventBridge took and gives back those it did not. */
async function tell(ctx: NotifierContext, due: Due[], now: Date, summary: NotifierSummary): Promise<void> {
  const taken = await ctx.publisher.publish(due.map((d) => eventOf(d.notice, d.outcome, now)));
  const limit = pLimit(ctx.settings.concurrency);
  await Promise.all(
    due.map(({ notice, outcome }, i) =>
      limit(async () => {
        if (!taken[i]) {
          summary.unpublished++;
          // Given back, so that the next run (the function's retry, or the schedule's next minute) tells it, not only
          // the first one after the lease.
          await releaseNotice(ctx.resources, notice).catch((err) =>
            ctx.logger.warn('an untold notice could not be released', {
              notice: notice.configMap.metadata?.name,
              error: err,
            }),
          );
          return;
        }
        summary.published[outcome.type] = (summary.published[outcome.type] ?? 0) + 1;
        await settleNotice(ctx.resources, notice, outcome.type, noticeTypes[outcome.type].final).catch((err) =>
          // Told, but still claimed: told again once the lease has passed (the documented duplicate).
          ctx.logger.warn('a told notice could not be settled', {
            notice: notice.configMap.metadata?.name,
            error: err,
          }),
        );
      }),
    ),
  );
}

/**
 * One run over every tenant namespace. Throws, after the run, when some events were not taken, so that the function
 * fails and alarms (the notices stay, and the next run publishes them).
 */
export async function runNotifier(ctx: NotifierContext): Promise<NotifierSummary> {
  const summary: NotifierSummary = { namespaces: 0, notices: 0, published: {}, unpublished: 0, unlisted: 0 };
  const now = new Date((ctx.now ?? Date.now)());
  const judgement = { now, pendingSeconds: ctx.settings.pendingSeconds, graceSeconds };
  const [{ notices: byNamespace, operations }, owners] = await Promise.all([
    recordsByNamespace(ctx.resources),
    tenantNamespaceOwners(ctx.resources),
  ]);
  for (const [namespace, all] of byNamespace) {
    // Told only about a namespace prepared for the notice's own tenant: a notice naming another's is never told.
    const notices = all.filter((n) => owners.get(namespace) === n.tenant);
    if (notices.length === 0) continue;
    summary.namespaces++;
    summary.notices += notices.length;
    try {
      const due = await claimDue(ctx, namespace, notices, operations.get(namespace) ?? [], judgement);
      await tell(ctx, due, now, summary);
    } catch (err) {
      // One namespace the service cannot read (being prepared, RBAC changed) does not keep the others waiting.
      summary.unlisted++;
      ctx.logger.error('notices of a namespace could not be read', { namespace, error: err as Error });
    }
  }
  ctx.logger.info('notifier run', { ...summary });
  if (summary.unpublished > 0 || summary.unlisted > 0) {
    const what = `${summary.unpublished} notice(s) could not be published and ${summary.unlisted} namespace(s) not read`;
    throw new UnavailableError(`${what}; the next run tries them again.`, { code: 'NOTICES_UNPUBLISHED' });
  }
  return summary;
}
