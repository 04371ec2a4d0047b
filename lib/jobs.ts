// What a Job needs before it is made (its claims), and waiting for it to finish.
import type { V1Job, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError } from './errors.ts';
import type { Resources } from './kube/resources.ts';
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

/** True once the Job has a Complete or Failed condition. */
export function jobFinished(job: V1Job): boolean {
  return !!job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/** Polls the Job until it finishes or `seconds` pass, and returns it as it then stands. */
export async function waitForJob(resources: Resources, job: V1Job, seconds: number, pollMs = 250): Promise<V1Job> {
  const deadline = Date.now() + seconds * 1000;
  const ref = { apiVersion: job.apiVersion!, kind: job.kind!, name: job.metadata!.name!, namespace: job.metadata!.namespace };
  let current = job;
  while (!jobFinished(current) && Date.now() + pollMs <= deadline) {
    await sleep(pollMs);
    current = await resources.get<V1Job>(ref);
  }
  return current;
}
