// Why a copy Pod or Job is not progressing, or failed, in the pod's own words: from the pods' statuses first (a
// container that exited non-zero, an image that cannot be pulled, a pod that cannot be scheduled), then from the
// latest warning event (a mount that fails, a Job that cannot create its pod: quota, Pod Security).
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { eventTime, latestEvent, type Reason } from '../kube/events.ts';
import { podFinished } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import type { CopyObject } from './render.ts';

/** Why a copy is stuck or failed: the shape of a claim's pendingReason. */
export type StatusReason = Reason;

// Waiting reasons of a container that no amount of waiting gets past without a change to the template or the cluster.
const stuckWaiting = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
]);
// Warning events that mean the same.
const stuckEvents = new Set(['FailedMount', 'FailedAttachVolume', 'FailedCreate', 'Failed']);

/** Why pod is not running to completion, from its status alone; undefined when nothing there says so. */
function fromPodStatus(pod: V1Pod): StatusReason | undefined {
  const phase = pod.status?.phase ?? 'Pending';
  const failed = pod.status?.containerStatuses?.find((c) => (c.state?.terminated?.exitCode ?? 0) !== 0);
  if (failed) {
    const t = failed.state!.terminated!;
    const message = `container ${failed.name} exited with code ${t.exitCode}${t.message ? `: ${t.message}` : ''}`;
    return { phase, reason: t.reason ?? 'Error', message, ...(t.finishedAt ? { lastSeen: String(t.finishedAt) } : {}) };
  }
  if (phase === 'Failed')
    return { phase, reason: pod.status?.reason ?? 'Failed', message: pod.status?.message ?? 'the pod failed' };
  const waiting = pod.status?.containerStatuses?.find(
    (c) => c.state?.waiting?.reason && stuckWaiting.has(c.state.waiting.reason),
  );
  if (waiting)
    return { phase, reason: waiting.state!.waiting!.reason!, message: waiting.state!.waiting!.message ?? '' };
  const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled) return conditionReason(phase, unscheduled, 'Unschedulable');
  return undefined;
}

/**
 * kubelet's mount failures run over several lines (the mount command, its arguments, its output) and name the node's
 * own folders: one line is kept, what failed and the mount command's error, e.g. "... : unknown filesystem type
 * 'nfs'.".
 */
export function condenseMountMessage(message: string): string {
  const lines = message.split('\n');
  const output = lines.find((l) => l.startsWith('Output: '));
  // "Output: mount: <node folder>: <error>": the error is what follows the folder.
  const error = output?.slice('Output: '.length).split(': ').slice(2).join(': ').trim();
  return error ? `${lines[0]}: ${error}` : lines[0]!;
}

/** A condition of a Pod or Job as the reason the routes give, seen when it last changed. */
function conditionReason(
  phase: string,
  condition: { reason?: string; message?: string; lastTransitionTime?: Date | string },
  fallback: string,
): StatusReason {
  const { reason, message, lastTransitionTime } = condition;
  return {
    phase,
    reason: reason ?? fallback,
    message: message ?? '',
    ...(lastTransitionTime ? { lastSeen: String(lastTransitionTime) } : {}),
  };
}

/**
 * Why pod is stuck or failed: its status, else its latest warning event; undefined while it runs or once it succeeded.
 */
async function podReason(resources: ResourceClient, pod: V1Pod): Promise<StatusReason | undefined> {
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Running') return undefined;
  const status = fromPodStatus(pod);
  if (status) return status;
  const event = await latestEvent(resources, pod, 'Pod', { warningsOnly: true });
  if (!event) return undefined;
  const message = event.reason === 'FailedMount' ? condenseMountMessage(event.message ?? '') : (event.message ?? '');
  // The scheduler records FailedScheduling before it sets the pod's PodScheduled condition (reason Unschedulable): the
  // same refusal is named alike whichever of the two a read sees.
  const reason = event.reason === 'FailedScheduling' ? 'Unschedulable' : (event.reason ?? 'Warning');
  return { phase: pod.status?.phase ?? 'Pending', reason, message, lastSeen: eventTime(event) };
}

/**
 * The Job's pods, from the API server's watch cache (resourceVersion 0). A list without a resourceVersion is a
 * consistent read: the API server first waits until its cache has caught up with etcd, and right after a Job starts,
 * while its controller is writing, that wait was most of GET /pods's time (tens of ms, where the calls themselves take
 * about one each). A cache that shows fewer pods than the Job just read counts is behind it: then, and only then, the
 * pods are listed again, consistently, so the answer never misses a pod the Job says it has.
 */
async function jobPods(resources: ResourceClient, job: V1Job): Promise<V1Pod[]> {
  const options = {
    namespace: job.metadata?.namespace,
    labelSelector: `batch.kubernetes.io/controller-uid=${job.metadata?.uid}`,
  };
  const cached = await resources.list<V1Pod>('v1', 'Pod', { ...options, resourceVersion: '0' });
  const counted = (job.status?.active ?? 0) + (job.status?.succeeded ?? 0) + (job.status?.failed ?? 0);
  if (cached.items.length >= counted) return cached.items;
  return (await resources.list<V1Pod>('v1', 'Pod', options)).items;
}

/** Why the copy is not progressing or failed; undefined when it runs or succeeded. */
export async function statusReason(resources: ResourceClient, copy: CopyObject): Promise<StatusReason | undefined> {
  if (copy.kind === 'Pod') return podReason(resources, copy as V1Pod);
  const job = copy as V1Job;
  const complete = job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
  if (complete) return undefined;
  const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  const phase = failed ? 'Failed' : job.status?.active ? 'Running' : 'Pending';
  const pods = await jobPods(resources, job);
  for (const pod of pods) {
    const reason = await podReason(resources, pod);
    if (reason) return { ...reason, phase };
  }
  if (failed) return conditionReason(phase, failed, 'Failed');
  if (pods.length > 0) return undefined;
  const event = await latestEvent(resources, job, 'Job', { warningsOnly: true });
  return event
    ? { phase, reason: event.reason ?? 'Warning', message: event.message ?? '', lastSeen: eventTime(event) }
    : undefined;
}

/** True when reason is one that waiting longer will not get past. */
export function isStuck(reason: StatusReason | undefined): boolean {
  return reason !== undefined && (stuckWaiting.has(reason.reason) || stuckEvents.has(reason.reason));
}

/** When a Pod or Job finished, in ms since the epoch, or undefined while it runs. */
export function finishedAt(obj: CopyObject): number | undefined {
  if (obj.kind === 'Pod') {
    const pod = obj as V1Pod;
    if (!podFinished(pod) || !pod.status) return undefined;
    // The last container to stop; a Pod failed before any container ran (deadline, eviction) has none: its start.
    const stops = (pod.status.containerStatuses ?? [])
      .map((c) => c.state?.terminated?.finishedAt)
      .filter((t) => t !== undefined);
    const times = (stops.length > 0 ? stops : [pod.status.startTime ?? pod.metadata?.creationTimestamp]).map((t) =>
      new Date(t as unknown as string).getTime(),
    );
    return Math.max(...times.filter((t) => !Number.isNaN(t)), 0);
  }
  const job = obj as V1Job;
  const done = job.status?.conditions?.find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  if (!done) return undefined;
  const when = done.lastTransitionTime ?? job.status?.completionTime;
  return when ? new Date(when as unknown as string).getTime() : 0;
}
