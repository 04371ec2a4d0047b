// What the service has made in the cluster, seen with the admin's eyes, and a sweep for test files' afterAll.
import type { KubernetesObject } from '@kubernetes/client-node';
import { admin, until } from './cluster.ts';

const managed = 'app.kubernetes.io/managed-by=moop-resource-service';

/**
 * Every object carrying the service's label: volumes, claims, Jobs, bare Pods (not a Job's) and ConfigMaps (its records,
 * Idempotency-Key outcomes and notices, kept in moop-records) in any namespace.
 */
export async function managedObjects(): Promise<KubernetesObject[]> {
  const { core, batch } = admin();
  const [pvs, pvcs, jobs, pods, configMaps] = await Promise.all([
    core.listPersistentVolume({ labelSelector: managed }),
    core.listPersistentVolumeClaimForAllNamespaces({ labelSelector: managed }),
    batch.listJobForAllNamespaces({ labelSelector: managed }),
    core.listPodForAllNamespaces({ labelSelector: managed }),
    core.listConfigMapForAllNamespaces({ labelSelector: managed }),
  ]);
  return [
    ...pvs.items.map((o) => ({ ...o, kind: 'PersistentVolume' })),
    ...pvcs.items.map((o) => ({ ...o, kind: 'PersistentVolumeClaim' })),
    ...jobs.items.map((o) => ({ ...o, kind: 'Job' })),
    ...pods.items.filter((o) => !o.metadata?.ownerReferences?.length).map((o) => ({ ...o, kind: 'Pod' })),
    ...configMaps.items.map((o) => ({ ...o, kind: 'ConfigMap' })),
  ];
}

/** "Kind namespace/name" of each managed object, sorted, for comparing before and after. */
export async function managedNames(filter: (o: KubernetesObject) => boolean = () => true): Promise<string[]> {
  return (await managedObjects())
    .filter(filter)
    .map((o) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`)
    .sort();
}

/**
 * Deletes the managed objects that match filter (claims, Jobs and Pods first, then volumes) until they are gone,
 * deleting again what is left each round: a refusal that has just been lifted (an admission policy still syncing)
 * must not strand an object. On timeout, names what is left.
 */
export async function sweep(filter: (o: KubernetesObject) => boolean, timeoutMs = 60_000): Promise<void> {
  const { core, batch } = admin();
  let left: string[] = [];
  const round = async (): Promise<boolean> => {
    const doomed = (await managedObjects()).filter(filter);
    left = doomed.map((o) => `${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`);
    if (doomed.length === 0) return true;
    for (const o of doomed) {
      const name = o.metadata!.name!;
      const namespace = o.metadata!.namespace!;
      if (o.kind === 'PersistentVolumeClaim')
        await core.deleteNamespacedPersistentVolumeClaim({ name, namespace }).catch(() => undefined);
      if (o.kind === 'Job')
        await batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }).catch(() => undefined);
      if (o.kind === 'Pod')
        await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
      if (o.kind === 'ConfigMap') await core.deleteNamespacedConfigMap({ name, namespace }).catch(() => undefined);
    }
    for (const o of doomed) {
      if (o.kind === 'PersistentVolume')
        await core.deletePersistentVolume({ name: o.metadata!.name! }).catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 500));
    return false;
  };
  await until('swept objects to be gone', round, timeoutMs).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; left: ${left.join(', ')}`);
  });
}

/** Filter for objects a test made for users whose names start with prefix. */
export const byUserPrefix =
  (prefix: string) =>
  (o: KubernetesObject): boolean =>
    (o.metadata?.annotations?.['moop.io/user'] ?? '').startsWith(prefix);
