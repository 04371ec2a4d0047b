// Why a claim is not Bound, in the volume controller's words, read as cheaply as the cluster allows.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { NotFoundError } from '../errors.ts';
import { eventTime, latestEvent, type Reason } from '../kube/events.ts';
import type { ObjectRef } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import type { RenderScope } from '../tenants/scope.ts';
import { type VolumeKey, volumeRefs } from '../volumes/key.ts';

/** Added beside a claim's own fields when it is not Bound; the claim itself stays as the API server gave it. */
export type PendingReason = Reason;

/** Whether objects are missing, each asked once, from the API server's cache: so that lookups can start early. */
export class Absence {
  private readonly asked = new Map<string, Promise<boolean>>();
  private readonly resources: ResourceClient;

  constructor(resources: ResourceClient) {
    this.resources = resources;
  }

  of(ref: ObjectRef): Promise<boolean> {
    const key = `${ref.apiVersion}/${ref.kind}/${ref.name}`;
    let answer = this.asked.get(key);
    if (!answer) {
      answer = this.resources.get(ref, { resourceVersion: '0' }).then(
        () => false,
        (err: unknown) => err instanceof NotFoundError,
      );
      this.asked.set(key, answer);
    }
    return answer;
  }

  /** When every lookup asked has ended: an invocation must not answer with a read still running (see readClaim). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.asked.values());
  }
}

export const storageClassRef = (name: string): ObjectRef => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  name,
});

/**
 * Why the claim of key is not Bound; undefined when it is. The usual reasons first, each from one read the API server
 * serves from its cache: a storage class that does not exist, a matching claim's volume that does not exist. Only a
 * claim those say should be progressing is explained by its latest event, in the volume controller's words: events
 * are not cached, and reading them costs in proportion to the namespace's events.
 */
export async function pendingReason(
  resources: ResourceClient,
  scope: RenderScope,
  key: VolumeKey,
  claim: V1PersistentVolumeClaim,
  absence: Absence = new Absence(resources),
): Promise<PendingReason | undefined> {
  const phase = claim.status?.phase ?? 'Pending';
  if (phase === 'Bound') return undefined;
  const storageClass = claim.spec?.storageClassName;
  if (storageClass) {
    if (await absence.of(storageClassRef(storageClass))) {
      const message = `The claim asks for storage class "${storageClass}", which does not exist in the cluster: no volume can be provisioned for it.`;
      return { phase, reason: 'StorageClassNotFound', message };
    }
  } else if (claim.spec?.selector && scope.tenant.resources?.templates?.pv) {
    const volumes = volumeRefs(scope, key);
    if ((await Promise.all(volumes.map((v) => absence.of(v)))).every(Boolean)) {
      return {
        phase,
        reason: 'VolumeNotFound',
        message: `The claim selects volume ${volumes[0]!.name}, which does not exist: create it with POST /service/v1/volumes/pvs.`,
      };
    }
  }
  const latest = await latestEvent(resources, claim, 'PersistentVolumeClaim');
  if (!latest) {
    return { phase, reason: 'NoEvents', message: 'The volume controller has not reported on this claim yet.' };
  }
  return { phase, reason: latest.reason ?? 'Unknown', message: latest.message ?? '', lastSeen: eventTime(latest) };
}
