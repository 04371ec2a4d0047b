// The routes' answers as tests read them: the API server's own objects (client-node's types) with what the service
// adds, and the error body. call<T>, invoke<T> and invokeHttp<T> take one of these where a test reads into the answer.
import type {
  KubernetesObject,
  V1Job,
  V1ObjectMeta,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Pod,
} from '@kubernetes/client-node';

/** An object as a route answers it: the API server's JSON, which always has its kind and its name. */
export type Answered<O extends KubernetesObject> = O & {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string };
};

/**
 * Why an object is not progressing or failed, in the cluster's words: a claim's pendingReason, a copy's statusReason.
 */
export interface Reason {
  phase: string;
  reason: string;
  message: string;
  lastSeen?: string;
}

export type VolumeAnswer = Answered<V1PersistentVolume>;

export type ClaimAnswer = Answered<V1PersistentVolumeClaim> & { pendingReason?: Reason };

/** A copy, a Pod or a Job as the tenant's pod template makes it; O is the one a test knows it gets. */
export type CopyAnswer<O extends V1Pod | V1Job = V1Pod | V1Job> = Answered<O> & { statusReason?: Reason };

/** Whether a copy is a bare Pod (as real records make them) rather than a Job (as the seeds do). */
export const isPod = (copy: CopyAnswer): copy is CopyAnswer<V1Pod> => copy.kind === 'Pod';

/** What the cleanup function answers for a run: per action, how many objects and which, and what failed. */
export interface CleanupAnswer {
  mode: 'scheduled' | 'tenant-removed';
  dryRun: boolean;
  tenant?: string;
  actions: Partial<Record<string, { count: number; names: string[] }>>;
  orphanTenants?: string[];
  failures: { action: string; name: string; error: string }[];
}

/** What every refusal and failure answers (lib/http/responses.ts's ErrorBody). */
export interface ErrorAnswer {
  error: string;
  code: string;
  details?: unknown;
}
