// The copy inventory against an in-memory cluster: states, why a copy failed or is stuck, a Job's pods inside its item,
// the state filter, paging, and reads that do not grow with the tenant.
import type { KubernetesObject, V1Job, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { listCopies } from '../../../lib/inventory/copies.ts';
import { markOwned, ownerLabels } from '../../../lib/ownership/ownership.ts';
import type { TenantScope } from '../../../lib/tenants/scope.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';
import { renderScope } from '../../support/scope.ts';

let resources: FakeResources;
let scope: TenantScope;
const id = tenants.a.id;
const namespace = 'tenant-a';
const query = { tenant: id, limit: 100 };
const createdAt = '2026-11-29T10:00:00Z';
const at = (minute: number) => `2026-11-29T10:0${minute}:00Z`;

const podSpec = (claims: string[]) => ({
  containers: [{ name: 'copy', image: 'busybox' }],
  volumes: claims.map((claimName, i) => ({ name: `moop-vol-${i}`, persistentVolumeClaim: { claimName } })),
});
const metadata = (name: string) => ({ name, namespace, creationTimestamp: createdAt as unknown as Date });

/** A copy Pod labelled for the tenant, and marked for it or, with owner, for another (annotations decide). */
const copyPod = (name: string, status: V1PodStatus, claims: string[] = [], owner = id): Promise<V1Pod> => {
  const pod = markOwned(
    { apiVersion: 'v1', kind: 'Pod', metadata: metadata(name), spec: podSpec(claims), status },
    { tenant: owner },
  );
  return resources.seed({ ...pod, metadata: { ...pod.metadata, labels: ownerLabels({ tenant: id }) } });
};

/** A copy Job of the tenant, and its pod when given one: labelled as the Job controller and the service label them. */
async function copyJob(name: string, status: V1Job['status'], claims: string[], pod?: V1PodStatus): Promise<V1Job> {
  const job = await resources.seed<V1Job>(
    markOwned(
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: metadata(name),
        spec: { template: { spec: podSpec(claims) } },
        status,
      },
      { tenant: id },
    ),
  );
  if (pod) {
    const labels = {
      ...job.metadata?.labels,
      'batch.kubernetes.io/controller-uid': job.metadata!.uid!,
      'job-name': name,
    };
    await resources.seed({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...metadata(`${name}-x1`),
        labels,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata!.uid!, controller: true }],
      },
      spec: podSpec(claims),
      status: pod,
    });
  }
  return job;
}

const warning = (obj: KubernetesObject, kind: string, reason: string, message: string) =>
  resources.seed({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${obj.metadata!.name}.${reason}`, namespace },
    involvedObject: { kind, name: obj.metadata!.name, uid: obj.metadata!.uid },
    reason,
    message,
    type: 'Warning',
    lastTimestamp: at(3),
  });

const exited = (code: number, minute: number) => ({
  name: 'copy',
  image: 'busybox',
  imageID: '',
  ready: false,
  restartCount: 0,
  state: {
    terminated: { exitCode: code, reason: code ? 'Error' : 'Completed', finishedAt: at(minute) as unknown as Date },
  },
});

/** One copy of each state and kind, and what must never be listed beside them. */
async function everyKind(): Promise<void> {
  await copyPod('job-run', { phase: 'Running' }, ['pvc-a', 'pvc-b', 'pvc-a']);
  const mount = await copyPod('job-mount', { phase: 'Pending' }, ['pvc-a']);
  await warning(
    mount,
    'Pod',
    'FailedMount',
    'MountVolume.SetUp failed for volume "pv-x" : mount failed: exit status 32',
  );
  await copyPod('job-image', {
    phase: 'Pending',
    containerStatuses: [{ ...exited(0, 1), state: { waiting: { reason: 'ErrImagePull', message: 'no such image' } } }],
  });
  await copyPod('job-exit', { phase: 'Failed', containerStatuses: [exited(3, 2)] });
  await copyPod('job-ok', { phase: 'Succeeded', containerStatuses: [exited(0, 4)] });
  await copyJob('job-j-run', { active: 1 }, ['pvc-c'], { phase: 'Running' });
  const failed = {
    type: 'Failed',
    status: 'True',
    reason: 'BackoffLimitExceeded',
    lastTransitionTime: at(5) as unknown as Date,
  };
  await copyJob('job-j-failed', { failed: 1, conditions: [failed] }, [], {
    phase: 'Failed',
    containerStatuses: [exited(2, 5)],
  });
  const quota = await copyJob('job-j-quota', {}, []);
  await warning(quota, 'Job', 'FailedCreate', 'pods "job-j-quota-x" is forbidden: exceeded quota');
  const complete = { type: 'Complete', status: 'True', lastTransitionTime: at(6) as unknown as Date };
  await copyJob('job-j-done', { succeeded: 1, conditions: [complete] }, [], { phase: 'Succeeded' });
  await copyPod('job-theirs', { phase: 'Running' }, [], tenants.b.id);
  await resources.seed({ apiVersion: 'v1', kind: 'Pod', metadata: metadata('jupyter-alice'), spec: podSpec([]) });
}

beforeEach(() => {
  resources = new FakeResources();
  scope = { ...renderScope(tenants.a), resources };
});

const item = (name: string, kind: 'Pod' | 'Job', state: string, more: object = {}) => ({
  name,
  kind,
  state,
  stuck: false,
  createdAt,
  claims: [],
  ...more,
});

const everyItem = [
  item('job-exit', 'Pod', 'failed', {
    finishedAt: '2026-11-29T10:02:00.000Z',
    statusReason: { phase: 'Failed', reason: 'Error', message: 'container copy exited with code 3', lastSeen: at(2) },
  }),
  item('job-image', 'Pod', 'running', {
    stuck: true,
    statusReason: { phase: 'Pending', reason: 'ErrImagePull', message: 'no such image' },
  }),
  item('job-j-done', 'Job', 'succeeded', { finishedAt: '2026-11-29T10:06:00.000Z' }),
  item('job-j-failed', 'Job', 'failed', {
    finishedAt: '2026-11-29T10:05:00.000Z',
    statusReason: { phase: 'Failed', reason: 'Error', message: 'container copy exited with code 2', lastSeen: at(5) },
  }),
  item('job-j-quota', 'Job', 'running', {
    stuck: true,
    statusReason: {
      phase: 'Pending',
      reason: 'FailedCreate',
      message: 'pods "job-j-quota-x" is forbidden: exceeded quota',
      lastSeen: at(3),
    },
  }),
  item('job-j-run', 'Job', 'running', { claims: ['pvc-c'] }),
  item('job-mount', 'Pod', 'running', {
    stuck: true,
    claims: ['pvc-a'],
    statusReason: {
      phase: 'Pending',
      reason: 'FailedMount',
      message: 'MountVolume.SetUp failed for volume "pv-x" : mount failed: exit status 32',
      lastSeen: at(3),
    },
  }),
  item('job-ok', 'Pod', 'succeeded', { finishedAt: '2026-11-29T10:04:00.000Z' }),
  item('job-run', 'Pod', 'running', { claims: ['pvc-a', 'pvc-b'] }),
];

describe('listCopies', () => {
  it("lists the tenant's Pods and Jobs by name, each with its state, claims, and why it failed or is stuck; a Job's pods inside its item", async () => {
    await everyKind();

    expect(await listCopies(scope, query)).toEqual({ items: everyItem });
  });

  it.each([
    ['running', ['job-image', 'job-j-quota', 'job-j-run', 'job-mount', 'job-run']],
    ['succeeded', ['job-j-done', 'job-ok']],
    ['failed', ['job-exit', 'job-j-failed']],
  ] as const)('lists only the %s copies when asked', async (state, names) => {
    await everyKind();

    expect(await listCopies(scope, { ...query, state })).toEqual({
      items: everyItem.filter((i) => (names as readonly string[]).includes(i.name)),
    });
  });

  it('pages by name: three pages cover every copy once, each continuing exactly after the last item', async () => {
    await everyKind();
    const first = await listCopies(scope, { ...query, limit: 4 });
    const second = await listCopies(scope, { ...query, limit: 4, continue: first.continue });
    const third = await listCopies(scope, { ...query, limit: 4, continue: second.continue });

    expect([first.items, second.items, third]).toEqual([
      everyItem.slice(0, 4),
      everyItem.slice(4, 8),
      { items: everyItem.slice(8) },
    ]);
  });

  it('refuses a malformed continue with a 400, before reading anything', async () => {
    const token = Buffer.from(JSON.stringify(['0', 'alice', 'default'])).toString('base64url');

    await expect(listCopies(scope, { ...query, continue: token })).rejects.toMatchObject({
      message: 'Invalid request query: continue: must be the "continue" of a previous page of this route.',
      code: 'INVALID_REQUEST',
      details: [{ field: 'continue', message: 'must be the "continue" of a previous page of this route' }],
    });
    expect(resources.calls).toEqual([]);
  });

  it('reads as much for many failed and stuck copies as for a few: two lists, and the warnings once', async () => {
    const calls = async (rounds: number): Promise<string[]> => {
      resources = new FakeResources();
      scope = { ...scope, resources };
      for (let i = 0; i < rounds; i++) {
        const mount = await copyPod(`job-mount-${i}`, { phase: 'Pending' }, ['pvc-a']);
        await warning(mount, 'Pod', 'FailedMount', 'mount failed');
        await copyPod(`job-exit-${i}`, { phase: 'Failed', containerStatuses: [exited(3, 2)] });
        await copyJob(`job-j-${i}`, { active: 1 }, [], { phase: 'Pending' });
      }
      resources.calls.length = 0;
      await listCopies(scope, query);
      return resources.calls.sort();
    };

    const expected = ['list Event tenant-a', 'list Job tenant-a', 'list Pod tenant-a'];
    expect(await calls(1)).toEqual(expected);
    expect(await calls(30)).toEqual(expected);
  });
});
