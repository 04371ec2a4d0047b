// What a notice's target has come to, in the routes' own terms: a copy succeeded, failed or is stuck (statusReason), a
// claim Bound or Pending too long (its latest event), or the target gone. Read from what the notifier listed once.
import type { KubernetesObject, V1ConfigMap, V1Job, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { CopyObject } from '../copies/render.ts';
import { finishedAt, isStuck, statusReason } from '../copies/status.ts';
import { copyState } from '../inventory/copies.ts';
import { eventTime, latestEvent, type Reason } from '../kube/events.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { recordOf } from '../operations/record.ts';
import { operationResults } from '../operations/results.ts';
import type { Notice } from './record.ts';
import type { NoticeDetail, NoticeType } from './schemas.ts';

/** An outcome to tell: its type, why, and for a copy when it finished. */
export interface Outcome {
  type: NoticeType;
  reason: Reason;
  finishedAt?: string;
}

/** How the notifier judges: when a Pending claim has waited too long, and how young a notice may miss its target. */
export interface Judgement {
  now: Date;
  pendingSeconds: number;
  /** A target missing from the lists is counted deleted only once its notice is this old (the caches may lag). */
  graceSeconds: number;
}

const ageSeconds = (since: string, now: Date): number => (now.getTime() - Date.parse(since)) / 1000;

/** A copy's outcome: finished (succeeded or failed, with why), or stuck once; undefined while it runs. */
export async function copyOutcome(
  copy: CopyObject,
  told: NoticeType[],
  reads: ResourceClient,
): Promise<Outcome | undefined> {
  const finished = finishedAt(copy);
  const label = `${copy.kind} ${copy.metadata?.name}`;
  if (finished !== undefined) {
    const at = { finishedAt: new Date(finished).toISOString() };
    if (copyState(copy) === 'succeeded') {
      return {
        type: 'CopySucceeded',
        reason: { phase: 'Succeeded', reason: 'Completed', message: `${label} finished` },
        ...at,
      };
    }
    const reason = (await statusReason(reads, copy)) ?? {
      phase: 'Failed',
      reason: 'Failed',
      message: `${label} failed`,
    };
    return { type: 'CopyFailed', reason, ...at };
  }
  if (told.includes('CopyStuck')) return undefined;
  const reason = await statusReason(reads, copy);
  return reason && isStuck(reason) ? { type: 'CopyStuck', reason } : undefined;
}

/** A claim's outcome: Bound, or (once) still Pending past the threshold, with its latest event. */
export async function claimOutcome(
  claim: V1PersistentVolumeClaim,
  notice: Pick<Notice, 'told' | 'requestedAt'>,
  reads: ResourceClient,
  judgement: Judgement,
): Promise<Outcome | undefined> {
  if (claim.status?.phase === 'Bound') {
    const message = `bound to volume ${claim.spec?.volumeName ?? ''}`.trim();
    return { type: 'ClaimBound', reason: { phase: 'Bound', reason: 'Bound', message } };
  }
  if (notice.told.includes('ClaimStillPending')) return undefined;
  if (ageSeconds(notice.requestedAt, judgement.now) < judgement.pendingSeconds) return undefined;
  const event = await latestEvent(reads, claim, 'PersistentVolumeClaim');
  const reason: Reason = event
    ? { phase: 'Pending', reason: event.reason ?? 'Pending', message: event.message ?? '', lastSeen: eventTime(event) }
    : { phase: 'Pending', reason: 'NoEvents', message: 'The volume controller has not reported on this claim yet.' };
  return { type: 'ClaimStillPending', reason };
}

/** A class operation's outcome once every student has a result: succeeded, or failed (some student did). */
export function operationOutcome(
  record: V1ConfigMap,
  tenant: string,
  listed: { pods: V1Pod[]; jobs: V1Job[] },
  now: Date,
): Outcome | undefined {
  const kept = recordOf(record, tenant);
  if (!kept) return undefined;
  const operation = kept.results ?? operationResults(kept.plan, listed, now.getTime());
  if (operation.state === 'Running') return undefined;
  const { copied, late, skipped, failed } = operation.summary;
  const message = `${copied} copied, ${late} late, ${skipped} skipped, ${failed} failed`;
  const succeeded = operation.state === 'Succeeded';
  return {
    type: succeeded ? 'OperationSucceeded' : 'OperationFailed',
    reason: { phase: operation.state, reason: succeeded ? 'Completed' : 'StudentsFailed', message },
    ...(operation.finishedAt ? { finishedAt: operation.finishedAt } : {}),
  };
}

/** The notice's outcome now, if it has one to tell; target is what the lists hold of its uid. */
export async function outcomeOf(
  notice: Notice,
  target: KubernetesObject | undefined,
  reads: { copies: ResourceClient; claims: ResourceClient; listed?: { pods: V1Pod[]; jobs: V1Job[] } },
  judgement: Judgement,
): Promise<Outcome | undefined> {
  const { kind, name } = notice.target;
  if (!target) {
    if (ageSeconds(notice.requestedAt, judgement.now) < judgement.graceSeconds) return undefined;
    const message = `${kind} ${name} was deleted before it reached an end`;
    return { type: 'TargetDeleted', reason: { phase: 'Deleted', reason: 'Deleted', message } };
  }
  if (kind === 'PersistentVolumeClaim') return claimOutcome(target, notice, reads.claims, judgement);
  if (kind === 'Operation')
    return operationOutcome(target, notice.tenant, reads.listed ?? { pods: [], jobs: [] }, judgement.now);
  return copyOutcome({ ...target, kind } as CopyObject, notice.told, reads.copies);
}

/** The event that tells notice's outcome; its eventId is the same whenever the same outcome of the same target is told. */
export function eventOf(notice: Omit<Notice, 'configMap' | 'told'>, outcome: Outcome, now: Date) {
  const detail: NoticeDetail = {
    eventId: `${notice.target.uid}/${outcome.type}`,
    tenant: notice.tenant,
    namespace: notice.namespace,
    kind: notice.target.kind,
    name: notice.target.name,
    uid: notice.target.uid,
    correlationId: notice.correlationId,
    ...(notice.username !== undefined ? { username: notice.username } : {}),
    requestedAt: notice.requestedAt,
    observedAt: now.toISOString(),
    ...(outcome.finishedAt ? { finishedAt: outcome.finishedAt } : {}),
    reason: outcome.reason,
  };
  return { detailType: outcome.type, detail };
}
