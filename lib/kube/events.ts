// The latest event about an object: what the cluster's controllers and kubelets say about it in their own words.
import type { CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import type { ResourceClient } from './resource-client.ts';

/**
 * Why an object is not progressing, or failed, in the cluster's own words: a claim's pendingReason, a copy's
 * statusReason. The phase, a machine reason, the message, and when it was last seen, if an event said so.
 */
export interface Reason {
  phase: string;
  reason: string;
  message: string;
  lastSeen?: string;
}

/** When an event was last seen. */
export const eventTime = (e: CoreV1Event): string =>
  String(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '');

/**
 * The most recent event about obj (of that kind, matched by name and uid), optionally only warnings. Events have no
 * watch cache in the API server, so this reads etcd and costs in proportion to the namespace's events.
 */
export async function latestEvent(
  resources: ResourceClient,
  obj: KubernetesObject,
  kind: string,
  options: { warningsOnly?: boolean } = {},
): Promise<CoreV1Event | undefined> {
  const { items } = await resources.list<CoreV1Event>('v1', 'Event', {
    resourceVersion: '0',
    namespace: obj.metadata?.namespace,
    fieldSelector: [
      `involvedObject.kind=${kind}`,
      `involvedObject.name=${obj.metadata?.name}`,
      `involvedObject.uid=${obj.metadata?.uid}`,
      ...(options.warningsOnly ? ['type=Warning'] : []),
    ].join(','),
  });
  return items.sort((a, b) => eventTime(b).localeCompare(eventTime(a)))[0];
}
