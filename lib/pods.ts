// What a copy Pod or Job needs before it is made (its claims), when it has finished, and waiting for that.
import type { V1Job, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError } from './errors.ts';
import type { Resources } from './kube/resources.ts';
import type { CopyObject } from './render/pod.ts';
import type { JobVolume } from './schemas/jobs.ts';

/** 404 naming the first claim of vols that does not exist in namespace; nothing is made before this passes. */
export async function assertClaimsExist(resources: Resources, namespace: string, vols: JobVolume[]): Promise<void> {
  const claims = [...new Set(vols.map((v) => v.pvc))];
  const missing = await Promise.all(
    claims.map((name) =>
      resources.get<V1PersistentVolumeClaim>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name, namespace }).then(
        () => undefined,
        (err: unknown) => {
          if (err instanceof NotFoundError) return name;
          throw err;
        },
      ),
    ),
  );
  const absent = missing.filter((n): n is string => n !== undefined);
  if (absent.length > 0) {
    throw new NotFoundError(`Claim(s) ${absent.join(', ')} do not exist in namespace ${namespace}.`, { code: 'CLAIM_NOT_FOUND', details: { claims: absent } });
  }
}

/** When a Pod or Job finished, in ms since the epoch, or undefined while it runs. */
export function finishedAt(obj: CopyObject): number | undefined {
  if (obj.kind === 'Pod') {
    const pod = obj as V1Pod;
    if (pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') return undefined;
    // The last container to stop; a Pod failed before any container ran (deadline, eviction) has none: its start.
    const stops = (pod.status.containerStatuses ?? []).map((c) => c.state?.terminated?.finishedAt).filter((t) => t !== undefined);
    const times = (stops.length > 0 ? stops : [pod.status.startTime ?? pod.metadata?.creationTimestamp]).map((t) => new Date(t as unknown as string).getTime());
    return Math.max(...times.filter((t) => !Number.isNaN(t)), 0);
  }
  const job = obj as V1Job;
  const done = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  if (!done) return undefined;
  const when = done.lastTransitionTime ?? job.status?.completionTime;
  return when ? new Date(when as unknown as string).getTime() : 0;
}

/** Polls the Pod or Job until it finishes or `seconds` pass, and returns it as it then stands. */
export async function waitUntilFinished<T extends CopyObject>(resources: Resources, obj: T, seconds: number, pollMs = 250): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  const ref = { apiVersion: obj.apiVersion!, kind: obj.kind!, name: obj.metadata!.name!, namespace: obj.metadata!.namespace };
  let current = obj;
  while (finishedAt(current) === undefined && Date.now() + pollMs <= deadline) {
    await sleep(pollMs);
    current = await resources.get<T>(ref);
  }
  return current;
}
