import { condenseMountMessage, statusReason } from '../../../lib/copies/status.ts';
import type { Resources } from '../../../lib/kube/resources.ts';

describe("a kubelet's mount failure, as GET tells it", () => {
  it("keeps one line: what failed and the mount command's own error, without the node's folders", () => {
    const kubelet = [
      'MountVolume.SetUp failed for volume "pv-x" : mount failed: exit status 32',
      'Mounting command: mount',
      'Mounting arguments: -t nfs 10.0.0.2:/exports/moop/tenant-real/nfs /var/lib/kubelet/pods/95283bcb/volumes/kubernetes.io~nfs/pv-x',
      "Output: mount: /var/lib/kubelet/pods/95283bcb/volumes/kubernetes.io~nfs/pv-x: unknown filesystem type 'nfs'.",
      '       dmesg(1) may have more information after failed mount system call.',
      '',
    ].join('\n');

    expect(condenseMountMessage(kubelet)).toBe(
      'MountVolume.SetUp failed for volume "pv-x" : mount failed: exit status 32: unknown filesystem type \'nfs\'.',
    );
  });

  it('leaves a one-line message as it is', () => {
    expect(condenseMountMessage('MountVolume.SetUp failed for volume "v" : mount failed: exit status 32')).toBe(
      'MountVolume.SetUp failed for volume "v" : mount failed: exit status 32',
    );
  });

  it('keeps the first line where there is no mount output to read', () => {
    expect(condenseMountMessage('Unable to attach or mount volumes: unmounted volumes=[data]\nmore detail')).toBe(
      'Unable to attach or mount volumes: unmounted volumes=[data]',
    );
  });
});

describe('statusReason', () => {
  // The scheduler records its FailedScheduling event before it sets the pod's PodScheduled condition: a read between
  // the two sees only the event. The answer must not depend on which of the two the read happened to see.
  it("gives a pod the scheduler gave up on the condition's reason, Unschedulable, even when only the event is there yet", async () => {
    const message = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.";
    const event = {
      reason: 'FailedScheduling',
      message,
      type: 'Warning',
      lastTimestamp: '2026-11-22T09:00:00Z',
      metadata: {},
    };
    const events = { list: async () => ({ items: [event] }) } as unknown as Resources;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'job-x', namespace: 't', uid: 'u' },
      status: { phase: 'Pending' },
    };
    expect(await statusReason(events, pod)).toEqual({
      phase: 'Pending',
      reason: 'Unschedulable',
      message,
      lastSeen: '2026-11-22T09:00:00Z',
    });
  });
});

describe("a Job's pods, as statusReason reads them", () => {
  const job = (status: Record<string, number>) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'job-x', namespace: 't', uid: 'job-uid' },
    status,
  });
  const failing = {
    metadata: { name: 'job-x-1', namespace: 't', uid: 'pod-uid' },
    status: {
      phase: 'Pending',
      containerStatuses: [{ name: 'copy', state: { waiting: { reason: 'ErrImagePull', message: 'no such image' } } }],
    },
  };
  /** A cluster whose watch cache holds `cached` pods and etcd `stored`; every list's options, in order. */
  const cluster = (cached: unknown[], stored: unknown[]) => {
    const lists: Record<string, unknown>[] = [];
    const resources = {
      list: async (_apiVersion: string, kind: string, options: Record<string, unknown>) => {
        lists.push({ kind, ...options });
        if (kind !== 'Pod') return { items: [] };
        return { items: options.resourceVersion === '0' ? cached : stored };
      },
    } as unknown as Resources;
    return { resources, lists };
  };

  it('lists them from the watch cache, without waiting for it to catch up with etcd', async () => {
    const { resources, lists } = cluster([failing], [failing]);
    expect(await statusReason(resources, job({ active: 1 }))).toMatchObject({
      phase: 'Running',
      reason: 'ErrImagePull',
    });
    expect(lists).toEqual([
      {
        kind: 'Pod',
        namespace: 't',
        labelSelector: 'batch.kubernetes.io/controller-uid=job-uid',
        resourceVersion: '0',
      },
    ]);
  });

  it('lists them again, consistently, when the cache shows fewer than the Job counts', async () => {
    const { resources, lists } = cluster([], [failing]);
    expect(await statusReason(resources, job({ active: 1 }))).toMatchObject({ reason: 'ErrImagePull' });
    expect(lists.map((l) => l.resourceVersion)).toEqual(['0', undefined]);
  });

  it('trusts the cache when the Job counts no pod yet: then its own warnings say why', async () => {
    const { resources, lists } = cluster([], []);
    expect(await statusReason(resources, job({}))).toBeUndefined();
    expect(lists.map((l) => `${l.kind} ${l.resourceVersion}`)).toEqual(['Pod 0', 'Event 0']);
  });
});
