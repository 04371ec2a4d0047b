// A class in one call: a roster's storage provisioned, or removed at the end of term, a few students at a time, with one
// result per student. One student's failure never stops the others; students not reached before the invocation's end
// are answered as not attempted, so the caller resends only those; an Idempotency-Key answers a retry with the first
// request's outcome.
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { podsUsing } from '../claims/claims.ts';
import { once } from '../idempotency/outcomes.ts';
import { claimKind, volumeKind } from '../kube/objects.ts';
import { isOwnedBy, ownerSelector } from '../ownership/ownership.ts';
import type { TenantScope } from '../tenants/scope.ts';
import { reservationRefs, type VolumeKey, volumeOwner, volumeRefs } from '../volumes/key.ts';
import { waitUntilBound } from './binding.ts';
import { type Outcome, outcomeOf, type Reached, type Student, students } from './results.ts';
import type { RemovalOutcome, RosterBody, RosterOutcome, RosterRemovalBody } from './schemas.ts';
import { makeStorage, removeStorage, type StudentStorage } from './student.ts';

/** Students provisioned at once: enough to keep the API server busy, few enough to leave it room for everyone else. */
export const rosterConcurrency = 8;
/** No student is started this close to the deadline: one student's few calls fit in it, with the answer after. */
const startReserveMs = 2000;
/** A student still running this close to the deadline is answered as unknown, so the outcome can still be kept. */
const finishReserveMs = 500;

/**
 * The tenant's volumes and claims, each by name, from one list of each (the watch cache), not a read per student. The
 * API server leaves kind and apiVersion out of a list's items: they are put back, since deleting one needs its ref.
 */
async function existing(scope: TenantScope): Promise<(key: VolumeKey) => StudentStorage> {
  const { resources, namespace, tenant } = scope;
  const options = { labelSelector: ownerSelector({ tenant: tenant.id }), limit: 500, resourceVersion: '0' as const };
  const byName = new Map<string, V1PersistentVolume | V1PersistentVolumeClaim>();
  for await (const page of resources.pages<V1PersistentVolume>(volumeKind.apiVersion, volumeKind.kind, options))
    for (const v of page) byName.set(`PersistentVolume/${v.metadata!.name}`, { ...v, ...volumeKind });
  for await (const page of resources.pages<V1PersistentVolumeClaim>(claimKind.apiVersion, claimKind.kind, {
    ...options,
    namespace,
  }))
    for (const c of page) byName.set(`PersistentVolumeClaim/${c.metadata!.name}`, { ...c, ...claimKind });
  return (key) => {
    const own = <T>(kind: string, names: { name: string }[]) =>
      names.map((r) => byName.get(`${kind}/${r.name}`)).find((o) => o && isOwnedBy(o, volumeOwner(scope, key))) as
        | T
        | undefined;
    return {
      volume: own<V1PersistentVolume>('PersistentVolume', volumeRefs(scope, key)),
      claim: own<V1PersistentVolumeClaim>('PersistentVolumeClaim', reservationRefs(scope, key)),
    };
  };
}

/**
 * Runs work for each valid student, rosterConcurrency at a time, in roster order; a student whose turn comes after
 * the start cutoff is not attempted, one still running at the deadline is answered as unknown.
 */
async function forEachStudent<R>(
  roster: Student[],
  deadline: number,
  work: (student: Reached) => Promise<R>,
): Promise<Outcome<R>[]> {
  const limit = pLimit(rosterConcurrency);
  return Promise.all(
    roster.map((student) =>
      limit(() =>
        outcomeOf(student, { startBefore: deadline - startReserveMs, finishBy: deadline - finishReserveMs }, work),
      ),
    ),
  );
}

/** POST /volumes/rosters: each student's volume and match claim, then a wait until their claims are Bound. */
export function provisionRoster(
  scope: TenantScope,
  body: RosterBody,
  options: { deadline: number; idempotencyKey?: string; tell?: (claims: StudentClaim[]) => Promise<void> },
): Promise<RosterOutcome> {
  const slot = { resources: scope.resources, tenant: scope.tenant.id, route: 'rosters' };
  return once({ ...slot, key: options.idempotencyKey }, body, async () => {
    const roster = students(body.students, true);
    const first = roster.find((s) => s.key);
    if (first?.key) volumeRefs(scope, first.key); // a tenant without a pv template is refused as a whole (422)
    const found = await existing(scope);
    const made = await forEachStudent(roster, options.deadline, ({ key, path }) =>
      makeStorage(scope, { ...key, path: path! }, found(key)),
    );
    const waitUntil = Math.min(options.deadline - finishReserveMs, Date.now() + body.wait * 1000);
    const bound = await waitUntilBound(scope, made, waitUntil);
    await options.tell?.(claimsOf(made, bound));
    return rosterOutcome(made, bound);
  });
}

/** A student's claim as the roster left it: Bound if it was seen Bound. */
export interface StudentClaim {
  object: V1PersistentVolumeClaim;
  username: string;
}

function claimsOf(
  made: Outcome<{ claim: V1PersistentVolumeClaim }>[],
  bound: Map<string, V1PersistentVolumeClaim>,
): StudentClaim[] {
  return made.flatMap(({ value, result }) => {
    if (!value) return [];
    // As the wait last saw it (Bound, to its volume), else as it was made or found.
    const seen = bound.get(value.claim.metadata!.name!) ?? value.claim;
    return [{ object: { ...seen, ...claimKind }, username: result.username }];
  });
}

/** The answer of a roster's provisioning: one result per student, in roster order, and their counts. */
function rosterOutcome(
  made: Outcome<{ status: 'created' | 'existing'; volume: V1PersistentVolume; claim: V1PersistentVolumeClaim }>[],
  bound: Map<string, V1PersistentVolumeClaim>,
): RosterOutcome {
  const results = made.map((o) => {
    if (!o.value) return o.result;
    const { status, volume, claim } = o.value;
    const claimName = claim.metadata!.name!;
    return {
      ...o.result,
      status,
      httpStatus: status === 'created' ? 201 : 200,
      volume: volume.metadata!.name!,
      claim: claimName,
      bound: claim.status?.phase === 'Bound' || bound.has(claimName),
    };
  });
  const count = (s: string) => results.filter((r) => r.status === s).length;
  return {
    summary: {
      created: count('created'),
      existing: count('existing'),
      failed: count('failed'),
      notAttempted: count('not_attempted'),
    },
    results,
  };
}

/**
 * POST /volumes/rosters/removals: each student's claim, then volume, removed; a claim pods still mount is that student's
 * 409 unless force. The pods are listed once for the whole roster.
 */
export function removeRoster(
  scope: TenantScope,
  body: RosterRemovalBody,
  options: { deadline: number; idempotencyKey?: string },
): Promise<RemovalOutcome> {
  const slot = { resources: scope.resources, tenant: scope.tenant.id, route: 'removals' };
  return once({ ...slot, key: options.idempotencyKey }, body, async () => {
    const roster = students(body.students, false);
    const keys = roster.flatMap((s) => (s.key ? [s.key] : []));
    const [found, users] = await Promise.all([
      existing(scope),
      body.force
        ? undefined
        : podsUsing(
            scope.resources,
            scope.namespace,
            keys.flatMap((k) => reservationRefs(scope, k).map((r) => r.name)),
          ),
    ]);
    const removed = await forEachStudent(roster, options.deadline, ({ key }) =>
      removeStorage(scope, { ...key, force: body.force }, found(key), (name) => users?.get(name) ?? []),
    );
    return removalOutcome(removed);
  });
}

/** The answer of a roster's removal: removed, absent (nothing to remove: a retry's), failed, not attempted. */
function removalOutcome(removed: Outcome<{ claim: string | null; volume: string | null }>[]): RemovalOutcome {
  const results = removed.map((o) => {
    if (o.value) return { ...o.result, status: 'removed' as const, httpStatus: 200, ...o.value };
    if (o.result.code === 'OBJECT_NOT_FOUND') return { ...o.result, status: 'absent' as const };
    return o.result as RemovalOutcome['results'][number];
  });
  const count = (s: string) => results.filter((r) => r.status === s).length;
  return {
    summary: {
      removed: count('removed'),
      absent: count('absent'),
      failed: count('failed'),
      notAttempted: count('not_attempted'),
    },
    results,
  };
}
