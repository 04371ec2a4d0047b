// What the service has made in the cluster, seen with the admin's eyes, and a sweep for test files' afterAll.
import type { KubernetesObject } from '@kubernetes/client-node';
import { admin, eventually } from './cluster.ts';

const managed = 'app.kubernetes.io/managed-by=moop-resource-service';

/** Every object carrying the service's label: volumes, claims, Jobs and bare Pods (not a Job's) in any namespace. */
export async function managedObjects(): Promise<KubernetesObject[]> {
  const { core, batch } = admin();
  const [pvs, pvcs, jobs, pods] = await Promise.all([
    core.listPersistentVolume({ labelSelector: managed }),
    core.listPersistentVolumeClaimForAllNamespaces({ labelSelector: managed }),
    batch.listJobForAllNamespaces({ labelSelector: managed }),
    core.listPodForAllNamespaces({ labelSelector: managed }),
  ]);
  return [
    ...pvs.items.map((o) => ({ ...o, kind: 'PersistentVolume' })),
    ...pvcs.items.map((o) => ({ ...o, kind: 'PersistentVolumeClaim' })),
    ...jobs.items.map((o) => ({ ...o, kind: 'Job' })),
    ...pods.items.filter((o) => !o.metadata?.ownerReferences?.length).map((o) => ({ ...o, kind: 'Pod' })),
  ];
}

/** "Kind namespace/name" of each managed object, sorted, for comparing before and after. */
export async function managedNames(filter: (o: KubernetesObject) => boolean = () => true): Promise<string[]> {
  return (await managedObjects())
    .filter(filter)
    .map((o) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`)
    .sort();
}

/** Deletes the managed objects that match filter (claims and Jobs first, then volumes) and waits until they are gone. */
export async function sweep(filter: (o: KubernetesObject) => boolean): Promise<void> {
  const { core, batch } = admin();
  const doomed = (await managedObjects()).filter(filter);
  for (const o of doomed) {
    const name = o.metadata!.name!;
    const namespace = o.metadata!.namespace!;
    if (o.kind === 'PersistentVolumeClaim') await core.deleteNamespacedPersistentVolumeClaim({ name, namespace }).catch(() => undefined);
    if (o.kind === 'Job') await batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }).catch(() => undefined);
    if (o.kind === 'Pod') await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
  }
  for (const o of doomed) {
    if (o.kind === 'PersistentVolume') await core.deletePersistentVolume({ name: o.metadata!.name! }).catch(() => undefined);
  }
  await eventually('swept objects to be gone', async () => ((await managedObjects()).some(filter) ? undefined : true));
}

/** Filter for objects a test made for users whose names start with prefix. */
export const byUserPrefix = (prefix: string) => (o: KubernetesObject): boolean =>
  (o.metadata?.annotations?.['moop.io/user'] ?? '').startsWith(prefix);
