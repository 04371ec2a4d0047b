// What stops a copy, said by GET (and by POST after its wait) in the same shape as a claim's pendingReason: a container
// that exits non-zero, an image that cannot be pulled, a mount that fails, a pod that cannot be scheduled, a Job that
// cannot create its pod. kwok fails the pods on demand (tools/controlplane/kwok/stages/pod-test-fail-*.yaml); the
// scheduler and the Job controller are the real ones.
import type { KubernetesObject, V1Job, V1Pod } from '@kubernetes/client-node';
import { tenants } from '../../fixtures/tenants.ts';
import type { CopyAnswer } from '../../support/answers.ts';
import { call } from '../../support/api.ts';
import { admin, eventually, until } from '../../support/cluster.ts';
import { sweep } from '../../support/managed.ts';

const path = '/service/v1/pods';
const made = new Set<string>();
const { core } = admin();
afterAll(() => sweep((o: KubernetesObject) => made.has(o.metadata?.name ?? '')));

const timestamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT/);

/** POSTs a copy for tenant, whose pod template makes an O; returns the answer and how long it took. */
async function post<O extends V1Pod | V1Job = V1Pod | V1Job>(
  tenant: string,
  wait?: number,
): Promise<{ ms: number; status: number; body: CopyAnswer<O> }> {
  const started = Date.now();
  const answer = await call<CopyAnswer<O>>('POST', path, {
    body: { tenant, cmd: 'cp -r /src/* /dest/', ...(wait ? { wait } : {}) },
  });
  made.add(answer.body.metadata?.name);
  return { ms: Date.now() - started, ...answer };
}

describe('why a copy failed or is stuck', () => {
  it('names a container that exited non-zero, with its exit code', async () => {
    const created = await post<V1Pod>(tenants.failExit.id, 20);

    expect(created.status).toBe(201);
    expect(created.body.status?.phase).toBe('Failed');
    expect(created.body.statusReason).toEqual({
      phase: 'Failed',
      reason: 'Error',
      message: 'container copy exited with code 3',
      lastSeen: timestamp,
    });
    const read = await call<CopyAnswer>('GET', path, {
      query: { tenant: tenants.failExit.id, name: created.body.metadata.name },
    });
    expect(read.body.statusReason).toEqual(created.body.statusReason);
  });

  it('names an image that cannot be pulled, and the wait ends early instead of running out', async () => {
    const created = await post(tenants.failImage.id, 20);

    expect(created.status).toBe(201);
    expect(created.body.statusReason).toEqual({
      phase: 'Pending',
      reason: 'ErrImagePull',
      message: 'failed to pull and unpack image "registry.mooplab.com:8443/gitbox/alpine-git:lastest": not found',
    });
    expect(created.ms).toBeLessThan(15_000);
  });

  it("names a mount that fails, from the kubelet's event, and the wait ends early", async () => {
    const created = await post(tenants.failMount.id, 20);

    expect(created.status).toBe(201);
    expect(created.body.statusReason).toEqual({
      phase: 'Pending',
      reason: 'FailedMount',
      message: 'MountVolume.SetUp failed for volume "moop-vol-0" : mount failed: exit status 32',
      lastSeen: timestamp,
    });
    expect(created.ms).toBeLessThan(15_000);
  });

  it("names a pod that cannot be scheduled, in the scheduler's words", async () => {
    const created = await post(tenants.neverScheduled.id);
    const name = created.body.metadata.name;

    const read = await eventually('the scheduler to give up on the pod', async () => {
      const answer = await call<CopyAnswer>('GET', path, { query: { tenant: tenants.neverScheduled.id, name } });
      return answer.body.statusReason ? answer : undefined;
    });

    expect(read.body.statusReason).toEqual({
      phase: 'Pending',
      reason: 'Unschedulable',
      message: expect.stringMatching(
        /^0\/\d+ nodes are available: .*node\(s\) didn't match Pod's node affinity\/selector/,
      ),
      lastSeen: timestamp,
    });
  });

  it("names a Job's pod that exited non-zero, once the Job has failed", async () => {
    const created = await post(tenants.jobFailExit.id, 20);

    expect(created.status).toBe(201);
    expect(created.body.kind).toBe('Job');
    expect(created.body.statusReason).toEqual({
      phase: 'Failed',
      reason: 'Error',
      message: 'container copy exited with code 3',
      lastSeen: timestamp,
    });
  });

  describe('in a namespace whose quota allows no pods', () => {
    beforeAll(async () => {
      await core.createNamespacedResourceQuota({
        namespace: 'tenant-job-quota',
        body: { metadata: { name: 'no-job-pods' }, spec: { hard: { pods: '0' } } },
      });
      await until(
        'the quota controller to compute the quota',
        async () =>
          (await core.readNamespacedResourceQuota({ name: 'no-job-pods', namespace: 'tenant-job-quota' })).status
            ?.hard !== undefined,
      );
    });
    afterAll(() => core.deleteNamespacedResourceQuota({ name: 'no-job-pods', namespace: 'tenant-job-quota' }));

    it("names the Job controller's FailedCreate, and the wait ends early", async () => {
      const created = await post(tenants.jobQuota.id, 20);

      expect(created.status).toBe(201);
      expect(created.body.statusReason).toEqual({
        phase: 'Pending',
        reason: 'FailedCreate',
        message: expect.stringMatching(/^Error creating: pods ".*" is forbidden: exceeded quota: no-job-pods/),
        lastSeen: timestamp,
      });
      expect(created.ms).toBeLessThan(15_000);
    });
  });

  it('says nothing when the copy succeeded', async () => {
    const created = await post<V1Pod>(tenants.a.id, 20);
    expect([created.body.status?.phase, created.body.statusReason]).toEqual(['Succeeded', undefined]);
  });
});
