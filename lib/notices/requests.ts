// A route's request to be told: when its answer already shows an end (a copy its wait saw finish, a claim Bound), the
// event is published at once; otherwise (or if publishing fails) the request is kept for the notifier.
import type { KubernetesObject, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import type { Publisher } from '../aws/events.ts';
import type { Notify } from '../contract/fields.ts';
import type { CopyObject } from '../copies/render.ts';
import { ConflictError } from '../errors.ts';
import type { TenantScope } from '../tenants/scope.ts';
import { claimOutcome, copyOutcome, eventOf, type Outcome } from './outcomes.ts';
import { type NoticeRequest, type NoticeTarget, recordNotice } from './record.ts';
import { noticeTypes } from './schemas.ts';

/** One thing to be told about, as a route made it, and for a student's claim whose; or a class operation. */
export type Told =
  | { object: KubernetesObject; username?: string }
  | { operation: NoticeTarget & { kind: 'Operation' } };

const targetOf = (told: Told): NoticeTarget =>
  'operation' in told
    ? told.operation
    : {
        kind: told.object.kind as NoticeTarget['kind'],
        name: told.object.metadata!.name!,
        uid: told.object.metadata!.uid!,
      };

/** The end the answer itself shows, if any; a stuck copy or a Pending claim is no end: the notifier watches on. */
async function endShown(scope: TenantScope, told: Told): Promise<Outcome | undefined> {
  // An operation just started has not ended: the notifier tells it.
  if ('operation' in told) return undefined;
  const { object } = told;
  const outcome =
    object.kind === 'PersistentVolumeClaim'
      ? await claimOutcome(
          object as V1PersistentVolumeClaim,
          { told: [], requestedAt: new Date().toISOString() },
          scope.resources,
          {
            now: new Date(),
            pendingSeconds: Number.POSITIVE_INFINITY,
            graceSeconds: 0,
          },
        )
      : await copyOutcome(object as CopyObject, ['CopyStuck'], scope.resources);
  return outcome && noticeTypes[outcome.type].final ? outcome : undefined;
}

/** Keeps request; a request kept already (a retried POST) is the same request. */
const keep = (scope: TenantScope, request: NoticeRequest, now: Date): Promise<void> =>
  recordNotice(scope.resources, request, now).catch((err: unknown) => {
    if (!(err instanceof ConflictError && err.code === 'ALREADY_EXISTS')) throw err;
  });

/**
 * Asks that notify be told of each of told: those whose answer shows an end are published at once (one PutEvents per
 * ten), the others kept for the notifier, a few at a time. Throws when a request could be neither published nor kept.
 */
export async function askToBeTold(
  scope: TenantScope,
  publisher: Publisher,
  notify: Notify & object,
  told: Told[],
): Promise<void> {
  const now = new Date();
  const requests = told.map((t) => ({
    tenant: scope.tenant.id,
    namespace: scope.namespace,
    target: targetOf(t),
    correlationId: notify.id,
    ...('username' in t && t.username !== undefined ? { username: t.username } : {}),
  }));
  const ends = await Promise.all(told.map((t) => endShown(scope, t).catch(() => undefined)));
  const shown = requests.flatMap((r, i) => (ends[i] ? [{ r, outcome: ends[i]! }] : []));
  const taken = await publisher.publish(
    shown.map(({ r, outcome }) => eventOf({ ...r, requestedAt: now.toISOString() }, outcome, now)),
  );
  const published = new Set(shown.filter((_, i) => taken[i]).map(({ r }) => r));
  const limit = pLimit(8);
  await Promise.all(requests.filter((r) => !published.has(r)).map((r) => limit(() => keep(scope, r, now))));
}
