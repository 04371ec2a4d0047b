// The index of a tenant's snapshots: one ConfigMap per kept snapshot in the service's records namespace (never the
// tenant's, whose ConfigMaps it may not read), marked for its tenant and labelled with the student's store folder, so
// that a student's snapshots are one labelled list from the watch cache, and they outlive the student's volume (an
// archived class, its claims removed, stays restorable). Only a complete archive gets an entry.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors.ts';
import { listAll } from '../inventory/page.ts';
import { configMapKind } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { markedTenant, markOwned, ownerSelector, recordsNamespace } from '../ownership/ownership.ts';
import type { VolumeKey } from '../volumes/key.ts';
import { studentFolder } from './store.ts';

/** Label of an index entry: the student's folder in the store (a hash of username and tag). */
export const snapshotOfLabel = 'moop.io/snapshot-of';

/** A kept snapshot, as its index entry holds it. */
export const Kept = z.strictObject({
  id: z.string(),
  username: z.string(),
  tag: z.string(),
  note: z.string().optional(),
  requestedAt: z.string(),
  takenAt: z.string(),
  bytes: z.number().int(),
  files: z.number().int(),
});
export type Kept = z.infer<typeof Kept>;

const refOf = (tenant: string, id: string) => ({
  ...configMapKind,
  namespace: recordsNamespace,
  name: `snapshot-${tenant}-${id.slice('snap-'.length)}`,
});

/** The entry's snapshot, if it is one of tenant's (a malformed or forged ConfigMap is passed by). */
export function keptOf(configMap: V1ConfigMap, tenant: string): (Kept & { configMap: V1ConfigMap }) | undefined {
  if (markedTenant(configMap) !== tenant) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(configMap.data?.snapshot ?? 'null');
  } catch {
    return undefined;
  }
  const parsed = Kept.safeParse(raw);
  return parsed.success ? { ...parsed.data, configMap } : undefined;
}

/** Indexes a complete snapshot; indexed already (a concurrent read settled it too) is the same. */
export async function keep(resources: ResourceClient, tenant: string, snapshot: Kept): Promise<void> {
  const ref = refOf(tenant, snapshot.id);
  const configMap = markOwned<V1ConfigMap>(
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: ref.name, namespace: ref.namespace, labels: { [snapshotOfLabel]: studentFolder(snapshot) } },
      data: { snapshot: JSON.stringify(snapshot) },
    },
    { tenant },
  );
  await resources.create(configMap).catch((err: unknown) => {
    if (!(err instanceof ConflictError && err.code === 'ALREADY_EXISTS')) throw err;
  });
}

/** The student's kept snapshots: one list. */
export async function keptOfStudent(resources: ResourceClient, tenant: string, key: VolumeKey) {
  // The tenant's label too: another school's student of the same name has the same folder hash, in its own store.
  const labelSelector = `${ownerSelector({ tenant })},${snapshotOfLabel}=${studentFolder(key)}`;
  const maps = await listAll<V1ConfigMap>(resources, configMapKind, { namespace: recordsNamespace, labelSelector });
  return maps
    .map((m) => keptOf(m, tenant))
    .filter((k): k is NonNullable<typeof k> => k !== undefined && k.username === key.username && k.tag === key.tag);
}

/** The student's kept snapshot of that id; 404 SNAPSHOT_NOT_FOUND (another's is as absent). */
export async function keptSnapshot(resources: ResourceClient, tenant: string, key: VolumeKey, id: string) {
  const found = await resources.get<V1ConfigMap>(refOf(tenant, id)).catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });
  const kept = found && keptOf(found, tenant);
  if (!kept || kept.id !== id || kept.username !== key.username || kept.tag !== key.tag) {
    throw new NotFoundError(`No snapshot ${id} of ${key.username} (tag ${key.tag}).`, { code: 'SNAPSHOT_NOT_FOUND' });
  }
  return kept;
}

/** Removes an index entry (its archive is removed by a copy). */
export async function forget(resources: ResourceClient, kept: { configMap: V1ConfigMap }): Promise<void> {
  await resources
    .delete(
      { ...configMapKind, namespace: recordsNamespace, name: kept.configMap.metadata!.name! },
      {
        uid: kept.configMap.metadata?.uid,
      },
    )
    .catch((err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
}
