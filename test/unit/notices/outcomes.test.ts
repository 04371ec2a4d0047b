// What a notice's target has come to, in the routes' own terms, read from what the notifier listed once: a copy
// succeeded, failed or is stuck, a claim Bound or Pending too long, the target gone; and the event that tells it.
import type { CoreV1Event, KubernetesObject, V1Job, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { listedReads } from '../../../lib/inventory/listed.ts';
import { eventOf, type Judgement, type Outcome, outcomeOf } from '../../../lib/notices/outcomes.ts';
import type { Notice, NoticeTarget } from '../../../lib/notices/record.ts';
import type { NoticeType } from '../../../lib/notices/schemas.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';

const id = tenants.a.id;
const namespace = 'tenant-a';
const requestedAt = '2026-03-01T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(requestedAt) + seconds * 1000);
const judgement = (seconds: number): Judgement => ({ now: at(seconds), pendingSeconds: 300, graceSeconds: 30 });

let resources: FakeResources;
beforeEach(() => {
  resources = new FakeResources();
});

const notice = (target: NoticeTarget, told: NoticeType[] = []): Notice => ({
  configMap: {},
  tenant: id,
  namespace,
  target,
  correlationId: 'order-17',
  requestedAt,
  told,
});
const targetOf = (obj: KubernetesObject): NoticeTarget => ({
  kind: obj.kind as NoticeTarget['kind'],
  name: obj.metadata!.name!,
  uid: obj.metadata!.uid!,
});
/** What target has come to, its pods (a Job's among them) and events listed as the notifier lists them. */
const outcome = (target: KubernetesObject, told: NoticeType[] = [], seconds = 10, pods: V1Pod[] = []) =>
  outcomeOf(
    notice(targetOf(target), told),
    target,
    {
      copies: listedReads(resources, { namespace, pods, eventSelector: 'type=Warning' }),
      claims: listedReads(resources, { namespace, eventSelector: 'involvedObject.kind=PersistentVolumeClaim' }),
    },
    judgement(seconds),
  );

const pod = (name: string, status: V1Pod['status'], labels?: Record<string, string>): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, uid: `${name}-uid`, ...(labels ? { labels } : {}) },
  status,
});
const terminated = (exitCode: number, reason: string) => ({
  containerStatuses: [
    {
      name: 'copy',
      image: 'busybox',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode, reason, finishedAt: '2026-03-01T10:02:00Z' as unknown as Date } },
    },
  ],
});
const waiting = (reason: string, message: string) => ({
  phase: 'Pending',
  containerStatuses: [
    { name: 'copy', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, message } } },
  ],
});
const job = (name: string, condition?: { type: string; reason?: string; message?: string }, failed = 0): V1Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, namespace, uid: `${name}-uid` },
  status: {
    failed,
    ...(condition
      ? {
          conditions: [{ ...condition, status: 'True', lastTransitionTime: '2026-03-01T10:03:00Z' as unknown as Date }],
        }
      : { active: 1 }),
  },
});
const claim = (phase: string): V1PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: `pvc-${id}-alice-default`, namespace, uid: 'claim-uid' },
  spec: phase === 'Bound' ? { volumeName: `pv-${id}-alice-default` } : {},
  status: { phase },
});
const claimEvent = (reason: string, message: string, lastTimestamp: string, uid = 'claim-uid') =>
  resources.seed<CoreV1Event>({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `e-${reason}-${lastTimestamp}`, namespace },
    involvedObject: { kind: 'PersistentVolumeClaim', name: `pvc-${id}-alice-default`, uid },
    reason,
    message,
    type: 'Warning',
    lastTimestamp: lastTimestamp as unknown as Date,
  });

describe('a copy', () => {
  it('that succeeded is CopySucceeded, Completed, with when it finished', async () => {
    expect(await outcome(pod('p', { phase: 'Succeeded', ...terminated(0, 'Completed') }))).toEqual({
      type: 'CopySucceeded',
      reason: { phase: 'Succeeded', reason: 'Completed', message: 'Pod p finished' },
      finishedAt: '2026-03-01T10:02:00.000Z',
    });
  });

  it('whose container exited with code 3 is CopyFailed, with the statusReason of the exit code', async () => {
    expect(await outcome(pod('p', { phase: 'Failed', ...terminated(3, 'Error') }))).toEqual({
      type: 'CopyFailed',
      reason: {
        phase: 'Failed',
        reason: 'Error',
        message: 'container copy exited with code 3',
        lastSeen: '2026-03-01T10:02:00Z',
      },
      finishedAt: '2026-03-01T10:02:00.000Z',
    });
  });

  it.each(['ErrImagePull', 'ImagePullBackOff'])('whose image cannot be pulled (%s) is CopyStuck', async (reason) => {
    const message = 'Back-off pulling image "registry.example/copy:1"';
    expect(await outcome(pod('p', waiting(reason, message)))).toEqual({
      type: 'CopyStuck',
      reason: { phase: 'Pending', reason, message },
    });
  });

  it('stuck is told once: not again once told', async () => {
    expect(await outcome(pod('p', waiting('ImagePullBackOff', 'Back-off')), ['CopyStuck'])).toBeUndefined();
  });

  it('stuck and told so is still told when it fails', async () => {
    const failed = pod('p', { phase: 'Failed', ...terminated(3, 'Error') });
    expect(await outcome(failed, ['CopyStuck'])).toMatchObject({ type: 'CopyFailed' });
  });

  it('that runs, or waits on what passes by itself, has nothing to tell', async () => {
    const running = pod('p', { phase: 'Running' });
    const creating = pod('q', waiting('ContainerCreating', ''));
    // A warning the kubelet retries past: a reason, but no stuck one.
    const sandbox = pod('r', { phase: 'Pending' });
    await resources.seed<CoreV1Event>({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'r-sandbox', namespace },
      involvedObject: { kind: 'Pod', name: 'r', uid: 'r-uid' },
      reason: 'FailedCreatePodSandBox',
      message: 'network is not ready',
      type: 'Warning',
      lastTimestamp: '2026-03-01T10:01:00Z' as unknown as Date,
    });
    const outcomes = [await outcome(running), await outcome(creating), await outcome(sandbox)];
    expect(outcomes).toEqual([undefined, undefined, undefined]);
  });

  it('as a Job that completed is CopySucceeded, finished when it completed', async () => {
    expect(await outcome(job('j', { type: 'Complete' }))).toEqual({
      type: 'CopySucceeded',
      reason: { phase: 'Succeeded', reason: 'Completed', message: 'Job j finished' },
      finishedAt: '2026-03-01T10:03:00.000Z',
    });
  });

  it("as a Job that failed is CopyFailed, with its pod's exit code", async () => {
    const failed = job('j', { type: 'Failed', reason: 'BackoffLimitExceeded' }, 1);
    const jobPod = pod(
      'j-x',
      { phase: 'Failed', ...terminated(3, 'Error') },
      {
        'batch.kubernetes.io/controller-uid': 'j-uid',
      },
    );
    expect(await outcome(failed, [], 10, [jobPod])).toEqual({
      type: 'CopyFailed',
      reason: {
        phase: 'Failed',
        reason: 'Error',
        message: 'container copy exited with code 3',
        lastSeen: '2026-03-01T10:02:00Z',
      },
      finishedAt: '2026-03-01T10:03:00.000Z',
    });
  });

  it('as a Job that failed without a pod (its deadline) is CopyFailed, with its condition', async () => {
    const message = 'Job was active longer than specified deadline';
    const failed = job('j', { type: 'Failed', reason: 'DeadlineExceeded', message });
    expect(await outcome(failed)).toEqual({
      type: 'CopyFailed',
      reason: { phase: 'Failed', reason: 'DeadlineExceeded', message, lastSeen: '2026-03-01T10:03:00Z' },
      finishedAt: '2026-03-01T10:03:00.000Z',
    });
  });
});

describe('a claim', () => {
  it('Bound is ClaimBound, naming its volume', async () => {
    expect(await outcome(claim('Bound'))).toEqual({
      type: 'ClaimBound',
      reason: { phase: 'Bound', reason: 'Bound', message: `bound to volume pv-${id}-alice-default` },
    });
  });

  it('Pending for less than pendingSeconds has nothing to tell', async () => {
    await claimEvent('FailedBinding', 'no persistent volumes available', '2026-03-01T10:01:00Z');
    expect(await outcome(claim('Pending'), [], 299)).toBeUndefined();
  });

  it('Pending for longer is ClaimStillPending, with its latest event', async () => {
    await claimEvent('FailedBinding', 'no persistent volumes available', '2026-03-01T10:04:00Z');
    await claimEvent('ProvisioningFailed', 'an older event', '2026-03-01T10:01:00Z');
    await claimEvent('FailedBinding', "another claim's", '2026-03-01T10:05:00Z', 'other-uid');
    expect(await outcome(claim('Pending'), [], 300)).toEqual({
      type: 'ClaimStillPending',
      reason: {
        phase: 'Pending',
        reason: 'FailedBinding',
        message: 'no persistent volumes available',
        lastSeen: '2026-03-01T10:04:00Z',
      },
    });
  });

  it('Pending for longer without any event is ClaimStillPending, NoEvents', async () => {
    expect(await outcome(claim('Pending'), [], 300)).toEqual({
      type: 'ClaimStillPending',
      reason: {
        phase: 'Pending',
        reason: 'NoEvents',
        message: 'The volume controller has not reported on this claim yet.',
      },
    });
  });

  it('still Pending is told once: not again once told, but Bound is', async () => {
    expect(await outcome(claim('Pending'), ['ClaimStillPending'], 3600)).toBeUndefined();
    expect(await outcome(claim('Bound'), ['ClaimStillPending'], 3600)).toMatchObject({ type: 'ClaimBound' });
  });
});

describe('a target gone', () => {
  const gone = (seconds: number) =>
    outcomeOf(
      notice({ kind: 'Job', name: 'j', uid: 'j-uid' }),
      undefined,
      { copies: resources, claims: resources },
      judgement(seconds),
    );

  it('is not counted deleted within the grace (the lists may lag behind its making)', async () => {
    expect(await gone(29)).toBeUndefined();
  });

  it('is TargetDeleted once the notice is older than the grace', async () => {
    expect(await gone(30)).toEqual({
      type: 'TargetDeleted',
      reason: { phase: 'Deleted', reason: 'Deleted', message: 'Job j was deleted before it reached an end' },
    });
  });
});

describe('eventOf', () => {
  const bound: Outcome = { type: 'ClaimBound', reason: { phase: 'Bound', reason: 'Bound', message: 'bound' } };
  const claimNotice = { ...notice(targetOf(claim('Bound'))), username: 'alice' };

  it("tells the outcome under its type, with whom and what it is about, and the caller's id", () => {
    expect(eventOf(claimNotice, bound, at(60))).toEqual({
      detailType: 'ClaimBound',
      detail: {
        eventId: 'claim-uid/ClaimBound',
        tenant: id,
        namespace,
        kind: 'PersistentVolumeClaim',
        name: `pvc-${id}-alice-default`,
        uid: 'claim-uid',
        correlationId: 'order-17',
        username: 'alice',
        requestedAt,
        observedAt: '2026-03-01T10:01:00.000Z',
        reason: bound.reason,
      },
    });
  });

  it("carries a copy's finishedAt", () => {
    const succeeded: Outcome = { ...bound, type: 'CopySucceeded', finishedAt: '2026-03-01T10:02:00.000Z' };
    const { detail } = eventOf(notice({ kind: 'Pod', name: 'p', uid: 'p-uid' }), succeeded, at(60));
    expect([detail.eventId, detail.finishedAt, 'username' in detail]).toEqual([
      'p-uid/CopySucceeded',
      '2026-03-01T10:02:00.000Z',
      false,
    ]);
  });

  it('has the same eventId whenever the same outcome of the same target is told, and another for another', () => {
    const ids = [
      eventOf(claimNotice, bound, at(60)).detail.eventId,
      eventOf(claimNotice, bound, at(600)).detail.eventId,
      eventOf(claimNotice, { ...bound, type: 'ClaimStillPending' }, at(60)).detail.eventId,
      eventOf({ ...claimNotice, target: { ...claimNotice.target, uid: 'new-uid' } }, bound, at(60)).detail.eventId,
    ];
    expect(ids).toEqual([
      'claim-uid/ClaimBound',
      'claim-uid/ClaimBound',
      'claim-uid/ClaimStillPending',
      'new-uid/ClaimBound',
    ]);
  });
});
