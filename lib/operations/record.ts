// An operation as kept: a ConfigMap of the service's records namespace (never a tenant's), marked for its tenant,
// naming the namespace, each student with the copy and container that do them (or why they were skipped), and, once
// every student has a result, those results: the copies are retired after their retention, the results stay.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { z } from 'zod';
import { NotFoundError } from '../errors.ts';
import { configMapKind, refOfKind } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { markedTenant, markOwned, recordsNamespace } from '../ownership/ownership.ts';
import { Operation } from './schemas.ts';

/** Label of an operation's copies (and a Job's pods), and of its record: the operation id. */
export const operationLabel = 'moop.io/operation';

/** How long an operation's record is kept: a term's assignments are read back within weeks, not months. */
export const operationTtlMs = 30 * 24 * 60 * 60 * 1000;

const Why = z.strictObject({ code: z.string(), message: z.string() });

/** What the record keeps of the plan: who is done by which copy, and who was skipped or failed at the start. */
export const OperationPlan = z.strictObject({
  id: z.string(),
  kind: z.enum(['distribution', 'collection']),
  namespace: z.string(),
  startedAt: z.string(),
  copies: z.array(z.strictObject({ name: z.string(), kind: z.enum(['Pod', 'Job']), students: z.array(z.number()) })),
  students: z.array(
    z.strictObject({
      username: z.string(),
      tag: z.string(),
      copy: z.string().optional(),
      skipped: Why.optional(),
      failed: Why.optional(),
    }),
  ),
});
export type OperationPlan = z.infer<typeof OperationPlan>;

/** An operation record read back: its plan, its results once settled, and the ConfigMap. */
export interface OperationRecord {
  plan: OperationPlan;
  results?: Operation;
  configMap: V1ConfigMap;
}

/** The record's name: the tenant's id and the operation's. */
const nameOf = (tenant: string, id: string): string => `operation-${tenant}-${id.slice('op-'.length)}`;

/** Keeps plan for tenant; an existing record of the same operation (a retried request) is the one kept. */
export async function createRecord(
  resources: ResourceClient,
  tenant: string,
  plan: OperationPlan,
): Promise<V1ConfigMap> {
  const configMap = markOwned<V1ConfigMap>(
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: nameOf(tenant, plan.id),
        namespace: recordsNamespace,
        labels: { [operationLabel]: plan.id },
      },
      data: { plan: JSON.stringify(plan) },
    },
    { tenant },
  );
  return resources.create(configMap);
}

/** The record's content, or undefined when it is not one (a malformed or forged ConfigMap is passed by). */
export function recordOf(configMap: V1ConfigMap, tenant: string): OperationRecord | undefined {
  if (markedTenant(configMap) !== tenant) return undefined;
  try {
    const plan = OperationPlan.parse(JSON.parse(configMap.data?.plan ?? 'null'));
    const results = configMap.data?.results ? Operation.parse(JSON.parse(configMap.data.results)) : undefined;
    return { plan, configMap, ...(results ? { results } : {}) };
  } catch {
    return undefined;
  }
}

/** The tenant's operation of that id; 404 when there is none (another tenant's is as absent). */
export async function readRecord(resources: ResourceClient, tenant: string, id: string): Promise<OperationRecord> {
  const ref = { ...configMapKind, namespace: recordsNamespace, name: nameOf(tenant, id) };
  const found = await resources.get<V1ConfigMap>(ref).catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });
  const record = found && recordOf(found, tenant);
  if (!record || record.plan.id !== id) {
    throw new NotFoundError(`No operation ${id} for tenant ${tenant}.`, { code: 'OPERATION_NOT_FOUND' });
  }
  return record;
}

/** Keeps the final results beside the plan, so that they outlive the copies; once only (a precondition). */
export async function settleRecord(resources: ResourceClient, record: OperationRecord, results: Operation) {
  await resources.mergePatch(refOfKind(configMapKind, record.configMap), {
    metadata: { resourceVersion: record.configMap.metadata?.resourceVersion },
    data: { results: JSON.stringify(results) },
  });
}
