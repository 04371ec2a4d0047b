// End of term: a class's volumes archived, then each student's claim and volume removed once their archive is kept
// (a student whose archive failed keeps their volume), with a result per student; the archives stay, restorable with
// the snapshot routes. Started in one call (a snapshot per student), carried on by reads of it and by scheduled
// cleanup, which remove what is archived; kept as a ConfigMap term-<tenant>-<id> in the records namespace.
import { randomBytes } from 'node:crypto';
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { z } from 'zod';
import { ConflictError, NotFoundError, ServiceError } from '../errors.ts';
import { once } from '../idempotency/outcomes.ts';
import { listAll } from '../inventory/page.ts';
import { shortHash } from '../kube/names.ts';
import { configMapKind, podFinished, podKind, refOfKind } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { operationLabel } from '../operations/record.ts';
import { managedSelector, markedTenant, markOwned, ownerSelector, recordsNamespace } from '../ownership/ownership.ts';
import { unprovisionStudent } from '../provisioning/student.ts';
import type { TenantScope } from '../tenants/scope.ts';
import { keptOf, snapshotOfLabel } from './index.ts';
import type { Term, TermBody } from './schemas.ts';
import { retireCopies, snapshotState, takeSnapshot } from './snapshots.ts';

/** Label of a term's record: its id. */
export const termLabel = 'moop.io/term';

const Why = z.strictObject({ code: z.string(), message: z.string() });
const Student = z.strictObject({
  username: z.string(),
  tag: z.string(),
  status: z.enum(['archiving', 'archived', 'skipped', 'failed']),
  snapshot: z.string().optional(),
  claim: z.string().nullable().optional(),
  volume: z.string().nullable().optional(),
  reason: Why.optional(),
});
const Kept = z.strictObject({
  id: z.string(),
  namespace: z.string(),
  startedAt: z.string(),
  force: z.boolean(),
  students: z.array(Student),
});
type Kept = z.infer<typeof Kept>;

const refOf = (tenant: string, id: string) => ({
  ...configMapKind,
  namespace: recordsNamespace,
  name: `term-${tenant}-${id.slice('term-'.length)}`,
});

const why = (err: unknown) =>
  err instanceof ServiceError ? { code: err.code, message: err.message } : { code: 'INTERNAL', message: String(err) };

/** The term as it is answered: its students, the summary, and its state. */
function answerOf(kept: Kept): Term {
  const summary = { archiving: 0, archived: 0, skipped: 0, failed: 0 };
  for (const s of kept.students) summary[s.status]++;
  const state = summary.archiving > 0 ? 'Running' : summary.failed > 0 ? 'Failed' : 'Succeeded';
  return { id: kept.id, state, startedAt: kept.startedAt, summary, students: kept.students };
}

/**
 * Starts the end of term of a class: a snapshot of each student's volume (a student without a claim is skipped);
 * nothing is removed yet. Answered at once (202); an Idempotency-Key makes a retry answer the same term.
 */
export async function startTerm(
  scope: TenantScope,
  input: Omit<TermBody, 'tenant' | 'notify'>,
  options: { idempotencyKey?: string },
): Promise<Term> {
  const slot = { resources: scope.resources, tenant: scope.tenant.id, route: 'terms', key: options.idempotencyKey };
  return once(slot, input, async () => {
    const id = `term-${options.idempotencyKey ? shortHash(['term', scope.tenant.id, options.idempotencyKey], 20) : shortHash([randomBytes(16).toString('hex')], 20)}`;
    const limit = pLimit(8);
    const students = await Promise.all(
      input.students.map(({ username, tag }, i) =>
        limit(async (): Promise<z.infer<typeof Student>> => {
          // Each student's snapshot has its own key, from the term's: a retried term makes no second archive.
          const key = `${id}/${i}`;
          try {
            const { snapshot } = await takeSnapshot(
              scope,
              { username, tag, note: `end of term ${id}` },
              { idempotencyKey: key },
            );
            return { username, tag, status: 'archiving', snapshot: snapshot.id };
          } catch (err) {
            if (err instanceof NotFoundError && err.code === 'CLAIM_NOT_FOUND')
              return { username, tag, status: 'skipped', reason: { code: 'NO_VOLUME', message: err.message } };
            return { username, tag, status: 'failed', reason: why(err) };
          }
        }),
      ),
    );
    const kept: Kept = {
      id,
      namespace: scope.namespace,
      startedAt: new Date().toISOString(),
      force: input.force,
      students,
    };
    await scope.resources
      .create(
        markOwned<V1ConfigMap>(
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { ...refOf(scope.tenant.id, id), labels: { [termLabel]: id } },
            data: { term: JSON.stringify(kept) },
          },
          { tenant: scope.tenant.id },
        ),
      )
      .catch((err: unknown) => {
        if (!(err instanceof ConflictError && err.code === 'ALREADY_EXISTS')) throw err;
      });
    return answerOf(kept);
  });
}

/** The record's term, if it is one of tenant's. */
function termOf(configMap: V1ConfigMap, tenant: string): Kept | undefined {
  if (markedTenant(configMap) !== tenant) return undefined;
  try {
    const parsed = Kept.safeParse(JSON.parse(configMap.data?.term ?? 'null'));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Carries the term on: each archiving student whose snapshot is kept has their claim, then volume, removed (a claim
 * still mounted is that student's failure unless force), one whose snapshot failed is failed (their volume stays).
 * What changed is written back under the record's resourceVersion (of two at once, one writes).
 */
async function advance(scope: TenantScope, configMap: V1ConfigMap, kept: Kept): Promise<Kept> {
  if (!kept.students.some((s) => s.status === 'archiving')) return kept;
  const owner = ownerSelector({ tenant: scope.tenant.id });
  const [entries, pods] = await Promise.all([
    listAll<V1ConfigMap>(scope.resources, configMapKind, {
      namespace: recordsNamespace,
      labelSelector: `${owner},${snapshotOfLabel}`,
    }),
    listAll<V1Pod>(scope.resources, podKind, {
      namespace: kept.namespace,
      labelSelector: `${owner},${operationLabel}`,
    }),
  ]);
  const indexed = new Set(entries.flatMap((m) => keptOf(m, scope.tenant.id)?.id ?? []));
  const limit = pLimit(8);
  const students = await Promise.all(
    kept.students.map((s) =>
      limit(async () => {
        if (s.status !== 'archiving' || !s.snapshot) return s;
        const state = indexed.has(s.snapshot)
          ? ({ state: 'Succeeded' } as const)
          : await snapshotState(scope.resources, scope.tenant.id, s.snapshot, pods);
        if (state.state === 'Running') return s;
        if (state.state === 'Failed')
          return { ...s, status: 'failed' as const, ...(state.reason ? { reason: state.reason } : {}) };
        // Archived, but its copy's pod not yet ended (the kubelet ends a pod a moment after its container): next time.
        if (pods.some((p) => p.metadata?.labels?.[operationLabel] === s.snapshot && !podFinished(p))) return s;
        try {
          // The archiving copy is done: it must not hold the claim it archived.
          await retireCopies(scope, s.snapshot);
          const removed = await unprovisionStudent(scope, { username: s.username, tag: s.tag, force: kept.force });
          const { reason: _waited, ...rest } = s;
          return { ...rest, status: 'archived' as const, ...removed };
        } catch (err) {
          // Nothing left to remove (gone meanwhile) is archived too.
          if (err instanceof NotFoundError && err.code === 'OBJECT_NOT_FOUND')
            return { ...s, status: 'archived' as const, claim: null, volume: null };
          // A notebook still mounts the claim: archived, and removed once it lets go (or with force).
          if (err instanceof ConflictError && err.code === 'CLAIM_IN_USE') return { ...s, reason: why(err) };
          return { ...s, status: 'failed' as const, reason: why(err) };
        }
      }),
    ),
  );
  const next = { ...kept, students };
  await scope.resources
    .mergePatch(refOfKind(configMapKind, configMap), {
      metadata: { resourceVersion: configMap.metadata?.resourceVersion },
      data: { term: JSON.stringify(next) },
    })
    .catch(() => undefined);
  return next;
}

/** The tenant's term of that id, carried on as far as it can be now; 404 TERM_NOT_FOUND. */
export async function readTerm(scope: TenantScope, { id }: { id: string }): Promise<Term> {
  const found = await scope.resources.get<V1ConfigMap>(refOf(scope.tenant.id, id)).catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });
  const kept = found && termOf(found, scope.tenant.id);
  if (!found || !kept || kept.id !== id) {
    throw new NotFoundError(`No end of term ${id} for tenant ${scope.tenant.id}.`, { code: 'TERM_NOT_FOUND' });
  }
  return answerOf(await advance(scope, found, kept));
}

/** Every unfinished term of every tenant, carried on (scheduled cleanup): what is archived is removed. */
export async function advanceTerms(
  resources: ResourceClient,
  scopeOf: (tenant: string) => Promise<TenantScope>,
): Promise<{ advanced: string[]; failed: { name: string; error: unknown }[] }> {
  const maps = await listAll<V1ConfigMap>(resources, configMapKind, {
    namespace: recordsNamespace,
    labelSelector: `${managedSelector},${termLabel}`,
  });
  const result = { advanced: [] as string[], failed: [] as { name: string; error: unknown }[] };
  for (const m of maps) {
    const tenant = markedTenant(m);
    const kept = tenant ? termOf(m, tenant) : undefined;
    if (!tenant || !kept?.students.some((s) => s.status === 'archiving')) continue;
    try {
      await advance(await scopeOf(tenant), m, kept);
      result.advanced.push(m.metadata!.name!);
    } catch (error) {
      result.failed.push({ name: m.metadata!.name!, error });
    }
  }
  return result;
}
