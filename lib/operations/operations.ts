// A class operation started and read back: the plan's copies made (a few at a time; one that cannot be made fails only
// its students), the record kept, and the 202 answer; reading lists the operation's copies by label and reads each
// student's result from them, keeping the results in the record once every student has one.
import { randomBytes } from 'node:crypto';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { type CopyObject, renderWork } from '../copies/render.ts';
import { ConflictError, ServiceError } from '../errors.ts';
import { once } from '../idempotency/outcomes.ts';
import { listAll } from '../inventory/page.ts';
import { shortHash } from '../kube/names.ts';
import { jobKind, podKind, refOf } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { createOwned, isOwnedBy } from '../ownership/ownership.ts';
import type { TenantScope } from '../tenants/scope.ts';
import { type OperationRequest, type Plan, planOperation } from './plan.ts';
import {
  createRecord,
  type OperationPlan,
  type OperationRecord,
  operationLabel,
  readRecord,
  settleRecord,
} from './record.ts';
import { operationResults } from './results.ts';
import type { Operation } from './schemas.ts';

/** Copies made at once: the API server's admission (the policies' CEL) is the cost, not the network. */
const createConcurrency = 8;

/** An operation started: its answer, and the object a notice of its end is about (its record's uid). */
export interface Started {
  operation: Operation;
  target: { kind: 'Operation'; name: string; uid: string };
}

const operationId = (scope: TenantScope, route: string, key: string | undefined): string =>
  `op-${key ? shortHash(['operation', scope.tenant.id, route, key], 20) : shortHash([randomBytes(16).toString('hex')], 20)}`;

/** The copy made, or, when a retried request made it before, that copy (it carries this operation's label). */
export async function makeCopy(scope: TenantScope, copy: CopyObject, id: string): Promise<CopyObject> {
  const owner = { tenant: scope.tenant.id };
  return createOwned(scope.resources, copy, owner).catch(async (err: unknown) => {
    if (!(err instanceof ConflictError && err.code === 'ALREADY_EXISTS')) throw err;
    const first = await scope.resources.get<CopyObject>(refOf(copy));
    if (!isOwnedBy(first, owner) || first.metadata?.labels?.[operationLabel] !== id) throw err;
    return first;
  });
}

const why = (err: unknown) =>
  err instanceof ServiceError
    ? { code: err.code, message: err.message }
    : { code: 'INTERNAL', message: 'the copy could not be made' };

/** The plan's copies made; the students of one that could not be made fail with its error, unless none could be. */
async function makeCopies(
  scope: TenantScope,
  id: string,
  kind: OperationRequest['kind'],
  plan: Plan,
): Promise<OperationPlan> {
  const labels = { [operationLabel]: id };
  // Rendered first, all of them: a template the service refuses fails the request before anything is made. A copy's
  // name is its operation's and its students': a retry whose batches came out otherwise never takes another's copy.
  const copies = plan.copies.map((c) => {
    const students = c.students.map((i) => plan.students[i]!.username);
    return renderWork(scope, c, { random: shortHash([id, String(c.batch), ...students], 8), labels });
  });
  const limit = pLimit(createConcurrency);
  const errors = await Promise.all(
    copies.map((copy) =>
      limit(() =>
        makeCopy(scope, copy, id).then(
          () => undefined,
          (err: unknown) => err,
        ),
      ),
    ),
  );
  const firstError = errors.find((e) => e !== undefined);
  if (firstError !== undefined && errors.every((e) => e !== undefined)) throw firstError;
  const copyOf = new Map(plan.copies.flatMap((c, i) => c.students.map((s) => [s, i])));
  return {
    id,
    kind,
    namespace: scope.namespace,
    startedAt: new Date().toISOString(),
    copies: copies.map((copy, i) => ({
      name: copy.metadata!.name!,
      // As the API server spells it: a template may say "job".
      kind: copy.kind?.toLowerCase() === 'job' ? ('Job' as const) : ('Pod' as const),
      students: plan.copies[i]!.students,
    })),
    students: plan.students.map((s) => {
      const who = { username: s.username, tag: s.tag };
      if (s.skipped) return { ...who, skipped: s.skipped };
      const i = copyOf.get(s.index)!;
      const error = errors[i];
      return error === undefined ? { ...who, copy: copies[i]!.metadata!.name! } : { ...who, failed: why(error) };
    }),
  };
}

/**
 * Starts request: the plan (404/409 when its source, destination or shared claim is missing or not Bound, 422 when
 * the template is refused: nothing made), its copies, its record. With an Idempotency-Key, a retry answers the first
 * request's operation (a retry after a failure part-way makes only what is missing: the copies' names are the key's).
 */
export async function startOperation(
  scope: TenantScope,
  request: OperationRequest,
  options: { idempotencyKey?: string },
): Promise<Started> {
  const route = `${request.kind}s`;
  const { notify: _notify, ...asked } = request;
  return once(
    { resources: scope.resources, tenant: scope.tenant.id, route, key: options.idempotencyKey },
    asked,
    async () => {
      const id = operationId(scope, route, options.idempotencyKey);
      const plan = await planOperation(scope, request);
      const kept = await makeCopies(scope, id, request.kind, plan);
      const configMap = await createRecord(scope.resources, scope.tenant.id, kept).catch(async (err: unknown) => {
        if (!(err instanceof ConflictError && err.code === 'ALREADY_EXISTS')) throw err;
        return (await readRecord(scope.resources, scope.tenant.id, id)).configMap;
      });
      return {
        operation: operationResults(kept, { pods: [], jobs: [] }),
        target: { kind: 'Operation', name: id, uid: configMap.metadata!.uid! },
      };
    },
  );
}

/** What the lists of the operation's label hold in its namespace: its bare Pods, a Job's pods, its Jobs. */
export async function listedCopies(resources: ResourceClient, plan: OperationPlan) {
  const options = { namespace: plan.namespace, labelSelector: `${operationLabel}=${plan.id}` };
  const hasJobs = plan.copies.some((c) => c.kind === 'Job');
  const [pods, jobs] = await Promise.all([
    listAll<V1Pod>(resources, podKind, options),
    hasJobs ? listAll<V1Job>(resources, jobKind, options) : Promise.resolve([]),
  ]);
  return { pods, jobs };
}

/** The operation of record as its copies stand now (its kept results, once settled). */
export async function currentResults(resources: ResourceClient, record: OperationRecord, now = Date.now()) {
  return record.results ?? operationResults(record.plan, await listedCopies(resources, record.plan), now);
}

/** The tenant's operation of that id as it stands (404 OPERATION_NOT_FOUND); its results kept once final. */
export async function readOperation(scope: TenantScope, { id }: { id: string }): Promise<Operation> {
  const record = await readRecord(scope.resources, scope.tenant.id, id);
  if (record.results) return record.results;
  const operation = await currentResults(scope.resources, record);
  if (operation.state !== 'Running') {
    // Best effort: a later read that finds no results computes them again while the copies are kept.
    await settleRecord(scope.resources, record, operation).catch(() => undefined);
  }
  return operation;
}
