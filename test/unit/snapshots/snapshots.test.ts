// A student's snapshots over an in-memory cluster: taken (the tenant's store made the first time, one copy from the
// tenant's template archiving the student's claim, mounted read-only, into their folder of the store), listed (the
// index, and the copies still making one, read from their pods: Running, Succeeded once the script said "copied" and
// then indexed once, Failed with the script's reason), newest first a page at a time, deleted (the entry, then a copy
// removing the archive) and restored (beside into a dated folder, or replacing, the store then read-only).
import { jest } from '@jest/globals';
import type {
  KubernetesObject,
  V1ConfigMap,
  V1ContainerStatus,
  V1Job,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodStatus,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { terminationLog } from '../../../lib/copies/render.ts';
import { copyCapabilities } from '../../../lib/copies/safety.ts';
import { UpstreamError } from '../../../lib/errors.ts';
import { operationLabel } from '../../../lib/operations/record.ts';
import { adoptionMarks, markOwned, ownerLabels, recordsNamespace } from '../../../lib/ownership/ownership.ts';
import { type Kept, keep, snapshotOfLabel } from '../../../lib/snapshots/index.ts';
import { archiveScript, removeScript, restoreScript } from '../../../lib/snapshots/scripts.ts';
import {
  besideFolder,
  deleteSnapshot,
  listSnapshots,
  restoreSnapshot,
  snapshotAnnotation,
  takeSnapshot,
} from '../../../lib/snapshots/snapshots.ts';
import { storeKey, studentFolder } from '../../../lib/snapshots/store.ts';
import type { TenantScope } from '../../../lib/tenants/scope.ts';
import { claimRefs, reservationRefs, type VolumeKey, volumeRefs } from '../../../lib/volumes/key.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';
import { renderScope } from '../../support/scope.ts';

const [a, b] = [tenants.a, tenants.b];
const now = '2026-03-01T10:00:00.000Z';

beforeAll(() => {
  // Only the clock: the snapshots' times are read from it, and nothing else may wait on fake timers.
  jest.useFakeTimers({
    now: Date.parse(now),
    doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'setInterval', 'setTimeout', 'hrtime', 'performance'],
  });
});
afterAll(() => {
  jest.useRealTimers();
});

let resources: FakeResources;
let scope: TenantScope;
beforeEach(() => {
  jest.setSystemTime(Date.parse(now));
  resources = new FakeResources();
  scope = { ...renderScope(a), resources };
});

/** The students: a name that must be escaped in labels, and others. */
const alice: VolumeKey = { username: 'Élodie M.', tag: 'default' };
const bob: VolumeKey = { username: 'bob', tag: 'default' };
const aliceExam: VolumeKey = { username: 'Élodie M.', tag: 'exam' };

const claimName = (key: VolumeKey, s: TenantScope = scope) => claimRefs(s, key)[0]!.name;
const storeClaimName = (s: TenantScope = scope) => reservationRefs(s, storeKey)[0]!.name;

/** Seeds key's claim in s's namespace, marked for owner (by default s's tenant and the key). */
async function claim(
  key: VolumeKey,
  s: TenantScope = scope,
  marks: (c: V1PersistentVolumeClaim) => V1PersistentVolumeClaim = (c) =>
    markOwned(c, { tenant: s.tenant.id, user: key.username, tag: key.tag }),
): Promise<string> {
  const name = claimName(key, s);
  await resources.seed(
    marks({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: s.namespace },
      status: { phase: 'Bound' },
    }),
  );
  return name;
}

const objects = <T extends KubernetesObject>(kind: string): T[] =>
  [...resources.objects.values()].filter((o) => o.kind === kind) as unknown as T[];
const podNamed = (name: string) => objects<V1Pod>('Pod').find((p) => p.metadata?.name === name)!;
const entries = () =>
  objects<V1ConfigMap>('ConfigMap').filter((c) => c.metadata?.labels?.[snapshotOfLabel] !== undefined);
const creates = () => resources.calls.filter((c) => c.startsWith('create'));

/** The termination message the snapshot scripts write. */
const said = (status: string, counts: { files?: number; bytes?: number } = {}, reason = ' ') =>
  `moop-copy 1\nstatus ${status}\nfiles ${counts.files ?? 0}\nbytes ${counts.bytes ?? 0}\nkept 0\nlate 0\nreason ${reason}\n`;

/** The pod's status set as the kubelet reports it. */
async function status(pod: string, s: V1PodStatus, namespace = scope.namespace) {
  await resources.mergePatch({ apiVersion: 'v1', kind: 'Pod', namespace, name: pod }, { status: s });
}
const containerStatus = (state: V1ContainerStatus['state'], name = 'archive') =>
  ({ name, image: 'alpine', imageID: '', ready: false, restartCount: 0, state }) as V1ContainerStatus;
const running = (pod: string, namespace?: string) =>
  status(
    pod,
    { phase: 'Running', containerStatuses: [containerStatus({ running: { startedAt: now as unknown as Date } })] },
    namespace,
  );
/** The archive container ended: exit code, when, and the termination message it left (if any). */
const ended = (
  pod: string,
  t: { exitCode: number; finishedAt: string; message?: string; reason?: string },
  namespace?: string,
) =>
  status(
    pod,
    {
      phase: t.exitCode === 0 ? 'Succeeded' : 'Failed',
      containerStatuses: [
        containerStatus({
          terminated: {
            exitCode: t.exitCode,
            reason: t.reason ?? (t.exitCode === 0 ? 'Completed' : 'Error'),
            finishedAt: t.finishedAt as unknown as Date,
            ...(t.message ? { message: t.message } : {}),
          },
        }),
      ],
    },
    namespace,
  );

/** A container of tenant a's Pod template, as a snapshot copy runs it. */
const container = (
  name: string,
  cmd: string,
  env: Record<string, string>,
  volumeMounts: V1VolumeMount[],
  image = 'registry.mooplab.com:8443/gitbox/alpine-git:lastest',
) => ({
  name,
  image,
  imagePullPolicy: 'IfNotPresent',
  args: ['/bin/sh', '-c', cmd],
  terminationMessagePath: terminationLog,
  terminationMessagePolicy: 'File',
  env: Object.entries(env).map(([n, value]) => ({ name: n, value })),
  volumeMounts,
  securityContext: { capabilities: { drop: ['ALL'], add: [...copyCapabilities] } },
});

const list = (key: VolumeKey = alice, page: { limit?: number; continue?: string } = {}, s: TenantScope = scope) =>
  listSnapshots(s, { tenant: s.tenant.id, ...key, limit: page.limit ?? 50, continue: page.continue });

/** A kept snapshot of key (an index entry, its copy gone), of id snap-<suffix repeated>. */
const kept = (suffix: string, key: VolumeKey = alice, takenAt = '2026-03-08T14:05:09.123Z'): Kept => ({
  id: `snap-${suffix.repeat(20).slice(0, 20)}`,
  ...key,
  requestedAt: new Date(Date.parse(takenAt) - 60_000).toISOString(),
  takenAt,
  bytes: 40_960,
  files: 12,
});

describe('takeSnapshot', () => {
  it("makes one copy archiving the student's claim, read-only, into their folder of the store; answers it Running", async () => {
    const studentClaim = await claim(alice);

    const answer = await takeSnapshot(scope, { ...alice, note: 'before the final' }, {});

    const { id } = answer.snapshot;
    const pods = objects<V1Pod>('Pod');
    expect(pods).toHaveLength(1);
    const pod = pods[0]!;
    expect(id).toMatch(/^snap-[0-9a-z]{20}$/);
    expect(answer).toEqual({
      snapshot: {
        id,
        ...alice,
        note: 'before the final',
        state: 'Running',
        requestedAt: now,
        copy: pod.metadata!.name,
      },
      copy: { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata!.name, uid: pod.metadata!.uid } },
    });
    expect(pod.metadata).toEqual({
      name: expect.stringMatching(new RegExp(`^job-${a.id}-[0-9a-z]{8}$`)),
      namespace: 'tenant-a',
      creationTimestamp: now,
      uid: expect.any(String),
      resourceVersion: expect.any(String),
      labels: { ...ownerLabels({ tenant: a.id, user: alice.username, tag: alice.tag }), [operationLabel]: id },
      annotations: {
        [snapshotAnnotation]: JSON.stringify({ id, ...alice, note: 'before the final', requestedAt: now }),
        'moop.io/tenant': a.id,
      },
    });
    expect(pod.spec!.containers).toEqual([
      container(
        'archive',
        archiveScript,
        { MOOP_FROM: '/moop/student', MOOP_ARCHIVE: `/moop/store/${id}.tar.gz`, MOOP_RESULT: terminationLog },
        [
          { name: 'moop-vol-0', mountPath: '/moop/student', readOnly: true },
          { name: 'moop-vol-1', mountPath: '/moop/store', subPath: studentFolder(alice) },
        ],
      ),
    ]);
    expect(pod.spec!.volumes).toEqual([
      { name: 'moop-vol-0', persistentVolumeClaim: { claimName: studentClaim, readOnly: true } },
      { name: 'moop-vol-1', persistentVolumeClaim: { claimName: storeClaimName() } },
    ]);
    expect([pod.spec!.restartPolicy, pod.spec!.automountServiceAccountToken, pod.spec!.activeDeadlineSeconds]).toEqual([
      'Never',
      false,
      600,
    ]);
  });

  it("makes the tenant's store the first time: a volume at <namespace>/.moop-snapshots and its match claim", async () => {
    await claim(alice);

    await takeSnapshot(scope, alice, {});

    const [volume] = objects<V1PersistentVolume>('PersistentVolume');
    expect(objects<V1PersistentVolume>('PersistentVolume').map((v) => v.metadata?.name)).toEqual([
      volumeRefs(scope, storeKey)[0]!.name,
    ]);
    expect([volume!.spec!.nfs, volume!.spec!.claimRef?.name, volume!.metadata?.annotations]).toEqual([
      { server: '10.0.0.2', path: '/exports/moop/tenant-a/.moop-snapshots' },
      storeClaimName(),
      { 'moop.io/tenant': a.id, 'moop.io/user': 'moop:snapshots', 'moop.io/tag': 'store' },
    ]);
    const store = objects<V1PersistentVolumeClaim>('PersistentVolumeClaim').find(
      (c) => c.metadata?.name === storeClaimName(),
    );
    expect([store?.metadata?.namespace, store?.spec?.selector?.matchLabels?.pv]).toEqual([
      'tenant-a',
      volume!.metadata?.labels?.pv,
    ]);
  });

  it('uses the store made before: a second snapshot, of another student too, makes only its copy', async () => {
    await claim(alice);
    await claim(bob);
    await takeSnapshot(scope, alice, {});
    resources.calls.length = 0;

    const second = await takeSnapshot(scope, bob, {});

    expect(creates()).toEqual([`create Pod tenant-a/${second.snapshot.copy}`]);
    expect(podNamed(second.snapshot.copy!).spec!.containers[0]!.volumeMounts).toEqual([
      { name: 'moop-vol-0', mountPath: '/moop/student', readOnly: true },
      { name: 'moop-vol-1', mountPath: '/moop/store', subPath: studentFolder(bob) },
    ]);
    expect(studentFolder(bob)).not.toBe(studentFolder(alice));
  });

  it('without an Idempotency-Key, two requests are two snapshots', async () => {
    await claim(alice);
    const first = await takeSnapshot(scope, alice, {});
    const second = await takeSnapshot(scope, alice, {});

    expect(second.snapshot.id).not.toBe(first.snapshot.id);
    expect(objects<V1Pod>('Pod').map((p) => p.metadata?.labels?.[operationLabel])).toEqual([
      first.snapshot.id,
      second.snapshot.id,
    ]);
  });

  it('is 404 CLAIM_NOT_FOUND when the student has no claim, and makes no copy', async () => {
    await claim(alice);

    await expect(takeSnapshot(scope, bob, {})).rejects.toMatchObject({
      status: 404,
      code: 'CLAIM_NOT_FOUND',
      message: 'bob has no claim (tag default) in namespace tenant-a.',
      details: { username: 'bob', tag: 'default' },
    });
    expect(objects('Pod')).toEqual([]);
  });

  it("never uses another tenant's claim of the same name in the namespace: 404", async () => {
    await claim(alice, scope, (c) =>
      markOwned(c, { tenant: tenants.neighbour.id, user: alice.username, tag: 'default' }),
    );

    await expect(takeSnapshot(scope, alice, {})).rejects.toMatchObject({ code: 'CLAIM_NOT_FOUND' });
    expect(objects('Pod')).toEqual([]);
  });

  it("uses the tenant's adopted claim (the old services', no user mark) of the student's name", async () => {
    const adopted = await claim(alice, scope, (c) => {
      const marks = adoptionMarks(a.id, new Date(now));
      return { ...c, metadata: { ...c.metadata, ...marks } };
    });

    const answer = await takeSnapshot(scope, alice, {});

    expect(podNamed(answer.snapshot.copy!).spec!.volumes![0]).toEqual({
      name: 'moop-vol-0',
      persistentVolumeClaim: { claimName: adopted, readOnly: true },
    });
  });

  it('with an Idempotency-Key, a retry answers the same snapshot and makes nothing', async () => {
    await claim(alice);
    const first = await takeSnapshot(scope, { ...alice, note: 'n' }, { idempotencyKey: 'key-1' });
    resources.calls.length = 0;
    jest.setSystemTime(Date.parse(now) + 5000);

    const again = await takeSnapshot(scope, { ...alice, note: 'n' }, { idempotencyKey: 'key-1' });

    expect(again).toEqual(first);
    expect(creates()).toEqual([]);
    expect(objects('Pod')).toHaveLength(1);
  });

  /** Writes of Idempotency-Key outcomes fail (the answer is still given; a retry does the work again). */
  const outcomesUnwritable = () => {
    const create = resources.create.bind(resources);
    resources.create = async <T extends KubernetesObject>(obj: T) => {
      if (obj.metadata?.name?.startsWith('outcome-'))
        throw new UpstreamError('etcd is slow', { code: 'KUBERNETES_FAILED' });
      return create(obj);
    };
  };

  it('with an Idempotency-Key whose outcome could not be kept, a retry finds the copy it made: one copy', async () => {
    await claim(alice);
    outcomesUnwritable();
    const first = await takeSnapshot(scope, alice, { idempotencyKey: 'key-2' });
    jest.setSystemTime(Date.parse(now) + 5000);

    const again = await takeSnapshot(scope, alice, { idempotencyKey: 'key-2' });

    expect([again.snapshot.id, again.snapshot.copy, again.copy]).toEqual([
      first.snapshot.id,
      first.snapshot.copy,
      first.copy,
    ]);
    expect(objects('Pod')).toHaveLength(1);
    expect(objects('PersistentVolume')).toHaveLength(1);
  });

  // The retry finds the first request's copy (its outcome was not kept) and answers what that copy records.
  it('with an Idempotency-Key whose outcome could not be kept, a retry answers the snapshot as the first did', async () => {
    await claim(alice);
    outcomesUnwritable();
    const first = await takeSnapshot(scope, alice, { idempotencyKey: 'key-2' });
    jest.setSystemTime(Date.parse(now) + 5000);

    expect(await takeSnapshot(scope, alice, { idempotencyKey: 'key-2' })).toEqual(first);
  });

  it('refuses the same Idempotency-Key for another request: 409 IDEMPOTENCY_KEY_REUSED, nothing made', async () => {
    await claim(alice);
    await takeSnapshot(scope, { ...alice, note: 'first' }, { idempotencyKey: 'key-3' });
    resources.calls.length = 0;

    await expect(takeSnapshot(scope, { ...alice, note: 'second' }, { idempotencyKey: 'key-3' })).rejects.toMatchObject({
      status: 409,
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    expect(creates()).toEqual([]);
  });

  it("makes a Job from a tenant's Job template, its pods labelled and annotated for the snapshot", async () => {
    const sb = { ...renderScope(b), resources };
    const studentClaim = await claim(alice, sb);

    const answer = await takeSnapshot(sb, alice, {});

    const [job] = objects<V1Job>('Job');
    const { id } = answer.snapshot;
    expect(answer).toEqual({
      snapshot: { id, ...alice, state: 'Running', requestedAt: now, copy: job!.metadata!.name },
      copy: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: job!.metadata!.name, uid: job!.metadata!.uid } },
    });
    expect(job!.spec!.template.metadata).toEqual({
      labels: { ...ownerLabels({ tenant: b.id, user: alice.username, tag: alice.tag }), [operationLabel]: id },
      annotations: { [snapshotAnnotation]: JSON.stringify({ id, ...alice, requestedAt: now }) },
    });
    expect(job!.spec!.template.spec!.volumes).toEqual([
      { name: 'moop-vol-0', persistentVolumeClaim: { claimName: studentClaim, readOnly: true } },
      { name: 'moop-vol-1', persistentVolumeClaim: { claimName: storeClaimName(sb) } },
    ]);
    expect(objects('Pod')).toEqual([]);
  });
});

describe('listSnapshots', () => {
  /** A snapshot of key taken at time (ISO): its id and its copy's name. */
  async function taken(key: VolumeKey = alice, at = now, note?: string) {
    jest.setSystemTime(Date.parse(at));
    const answer = await takeSnapshot(scope, { ...key, ...(note ? { note } : {}) }, {});
    return { id: answer.snapshot.id, copy: answer.snapshot.copy!, requestedAt: at };
  }

  it('answers a snapshot Running while its copy waits or runs, and indexes nothing', async () => {
    await claim(alice);
    const s = await taken(alice, now, 'before the final');
    const expected = {
      items: [{ id: s.id, ...alice, note: 'before the final', requestedAt: now, state: 'Running', copy: s.copy }],
    };

    expect(await list()).toEqual(expected);
    await running(s.copy);
    expect(await list()).toEqual(expected);
    expect(entries()).toEqual([]);
  });

  it('answers it Succeeded once the script said "copied": taken when the container ended, its bytes and files', async () => {
    await claim(alice);
    const s = await taken(alice, now, 'before the final');
    await ended(s.copy, {
      exitCode: 0,
      finishedAt: '2026-03-01T10:02:03.456Z',
      message: said('copied', { files: 12, bytes: 40_960 }),
    });

    expect(await list()).toEqual({
      items: [
        {
          id: s.id,
          ...alice,
          note: 'before the final',
          requestedAt: now,
          takenAt: '2026-03-01T10:02:03.456Z',
          bytes: 40_960,
          files: 12,
          state: 'Succeeded',
          copy: s.copy,
        },
      ],
    });
  });

  it('indexes a complete snapshot once: the entry written by the first list, later lists read it', async () => {
    await claim(alice);
    const s = await taken(alice, now, 'n');
    await ended(s.copy, {
      exitCode: 0,
      finishedAt: '2026-03-01T10:02:03Z',
      message: said('copied', { files: 3, bytes: 99 }),
    });
    resources.calls.length = 0;

    await list();
    const second = await list();
    await list();

    const kept = {
      id: s.id,
      ...alice,
      note: 'n',
      requestedAt: now,
      takenAt: '2026-03-01T10:02:03.000Z',
      bytes: 99,
      files: 3,
    };
    expect(entries().map((e) => [e.metadata?.namespace, e.metadata?.labels?.[snapshotOfLabel], e.data])).toEqual([
      [recordsNamespace, studentFolder(alice), { snapshot: JSON.stringify(kept) }],
    ]);
    expect(creates()).toEqual([`create ConfigMap ${recordsNamespace}/snapshot-${a.id}-${s.id.slice(5)}`]);
    // Read from the index, the snapshot no longer names its copy.
    expect(second).toEqual({ items: [{ ...kept, state: 'Succeeded' }] });
  });

  it("answers it Failed with the script's reason when it said failed, and indexes nothing", async () => {
    await claim(alice);
    const s = await taken();
    await ended(s.copy, {
      exitCode: 1,
      finishedAt: '2026-03-01T10:00:40Z',
      message: said(
        'failed',
        { files: 12 },
        'ARCHIVE_FAILED tar exited with code 1: tar: write error: No space left on device',
      ),
    });

    expect(await list()).toEqual({
      items: [
        {
          id: s.id,
          ...alice,
          requestedAt: now,
          state: 'Failed',
          copy: s.copy,
          reason: {
            code: 'ARCHIVE_FAILED',
            message: 'tar exited with code 1: tar: write error: No space left on device',
          },
        },
      ],
    });
    expect(entries()).toEqual([]);
  });

  it.each([
    [
      'killed before it wrote (OOMKilled)',
      {
        phase: 'Failed',
        containerStatuses: [
          containerStatus({ terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: now as unknown as Date } }),
        ],
      },
      { code: 'OOMKilled', message: 'the archive ended with exit code 137' },
    ],
    [
      "ended 0 without the script's message",
      {
        phase: 'Succeeded',
        containerStatuses: [
          containerStatus({
            terminated: { exitCode: 0, reason: 'Completed', finishedAt: now as unknown as Date, message: 'hello\n' },
          }),
        ],
      },
      { code: 'Completed', message: 'the archive ended with exit code 0' },
    ],
    [
      'stopped at its deadline, no container ended',
      {
        phase: 'Failed',
        reason: 'DeadlineExceeded',
        message: 'Pod was active on the node longer than the specified deadline',
      },
      { code: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' },
    ],
  ] as [string, V1PodStatus, { code: string; message: string }][])(
    'answers it Failed with why, when its copy was %s',
    async (_, podStatus, reason) => {
      await claim(alice);
      const s = await taken();
      await status(s.copy, podStatus);

      expect(await list()).toEqual({
        items: [{ id: s.id, ...alice, requestedAt: now, state: 'Failed', copy: s.copy, reason }],
      });
      expect(entries()).toEqual([]);
    },
  );

  it('passes by a copy being deleted: neither listed nor indexed from its report', async () => {
    await claim(alice);
    const s = await taken();
    await ended(s.copy, {
      exitCode: 0,
      finishedAt: '2026-03-01T10:01:00Z',
      message: said('copied', { files: 1, bytes: 2 }),
    });
    await resources.mergePatch(
      { apiVersion: 'v1', kind: 'Pod', namespace: scope.namespace, name: s.copy },
      { metadata: { deletionTimestamp: '2026-03-01T10:02:00Z' } },
    );

    expect([await list(), entries()]).toEqual([{ items: [] }, []]);
  });

  it('answers a Job copy by its newest pod (a retry), named by the Job', async () => {
    const sb = { ...renderScope(b), resources };
    await claim(alice, sb);
    const answer = await takeSnapshot(sb, alice, {});
    const job = objects<V1Job>('Job')[0]!;
    const podOfJob = (suffix: string, createdAt: string) =>
      resources.seed<V1Pod>({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${job.metadata!.name}-${suffix}`,
          namespace: 'tenant-b',
          creationTimestamp: createdAt as unknown as Date,
          labels: { ...job.spec!.template.metadata!.labels, 'job-name': job.metadata!.name! },
          annotations: job.spec!.template.metadata!.annotations,
        },
      });
    await podOfJob('first', '2026-03-01T10:00:01Z');
    await ended(
      `${job.metadata!.name}-first`,
      {
        exitCode: 1,
        finishedAt: '2026-03-01T10:00:09Z',
        message: said('failed', {}, 'ARCHIVE_FAILED tar exited with code 1: x'),
      },
      'tenant-b',
    );
    await podOfJob('retry', '2026-03-01T10:00:20Z');
    await running(`${job.metadata!.name}-retry`, 'tenant-b');

    const base = { id: answer.snapshot.id, ...alice, requestedAt: now, copy: job.metadata!.name };
    expect(await list(alice, {}, sb)).toEqual({ items: [{ ...base, state: 'Running' }] });

    await ended(
      `${job.metadata!.name}-retry`,
      { exitCode: 0, finishedAt: '2026-03-01T10:01:00Z', message: said('copied', { files: 1, bytes: 2 }) },
      'tenant-b',
    );
    expect(await list(alice, {}, sb)).toEqual({
      items: [{ ...base, state: 'Succeeded', takenAt: '2026-03-01T10:01:00.000Z', bytes: 2, files: 1 }],
    });
  });

  it('answers newest first (by when taken, or asked while not taken), a page at a time', async () => {
    await claim(alice);
    // An old snapshot kept in the index, its copy long gone.
    const old = kept('o', alice, '2026-02-01T09:00:00.000Z');
    await keep(resources, a.id, old);
    const s1 = await taken(alice, '2026-03-01T10:00:00.000Z');
    const s2 = await taken(alice, '2026-03-01T10:10:00.000Z');
    const s3 = await taken(alice, '2026-03-01T10:20:00.000Z');
    const s4 = await taken(alice, '2026-03-01T10:40:00.000Z');
    await ended(s1.copy, {
      exitCode: 0,
      finishedAt: '2026-03-01T10:30:00Z',
      message: said('copied', { files: 1, bytes: 9 }),
    });
    await running(s2.copy);
    await ended(s3.copy, {
      exitCode: 2,
      finishedAt: '2026-03-01T10:21:00Z',
      message: said('failed', {}, 'ARCHIVE_FAILED x'),
    });
    // The first list indexes s1: later ones answer it from the index.
    await list();
    const all = await list();
    const order = all.items.map((i) => i.id);

    // s4 asked at 10:40, s1 taken at 10:30, s3 asked at 10:20, s2 asked at 10:10, the old one taken in February.
    expect(order).toEqual([s4.id, s1.id, s3.id, s2.id, old.id]);
    expect(all.continue).toBeUndefined();

    const first = await list(alice, { limit: 2 });
    const second = await list(alice, { limit: 2, continue: first.continue });
    const third = await list(alice, { limit: 2, continue: second.continue });
    expect([first, second, third].map((p) => [p.items.map((i) => i.id), typeof p.continue])).toEqual([
      [[s4.id, s1.id], 'string'],
      [[s3.id, s2.id], 'string'],
      [[old.id], 'undefined'],
    ]);
    expect([...first.items, ...second.items, ...third.items]).toEqual(all.items);
  });

  it('is 400 for a continue that is not one of its pages', async () => {
    await expect(list(alice, { continue: 'bm90IGEgY3Vyc29y' })).rejects.toMatchObject({
      status: 400,
      code: 'INVALID_REQUEST',
    });
  });

  it("passes by a forged ConfigMap labelled as the student's: not marked for the tenant, or malformed", async () => {
    const real = kept('r');
    await keep(resources, a.id, real);
    const labels = { 'app.kubernetes.io/managed-by': 'moop-resource-service', [snapshotOfLabel]: studentFolder(alice) };
    const configMap = (name: string, data: string): V1ConfigMap => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: recordsNamespace, labels },
      data: { snapshot: data },
    });
    await resources.seed(configMap('snapshot-forged-1', JSON.stringify(kept('f'))));
    await resources.seed(markOwned(configMap('snapshot-forged-2', JSON.stringify(kept('g'))), { tenant: b.id }));
    await resources.seed(markOwned(configMap('snapshot-forged-3', '{"id": "snap-'), { tenant: a.id }));
    await resources.seed(
      markOwned(configMap('snapshot-forged-4', JSON.stringify({ ...kept('h'), bytes: 'many' })), { tenant: a.id }),
    );

    expect(await list()).toEqual({ items: [{ ...real, state: 'Succeeded' }] });
  });

  it("lists the student's own only: not another student's, not another tag's, not another tenant's", async () => {
    await claim(alice);
    await claim(bob);
    await claim(aliceExam);
    const mine = await taken(alice);
    await taken(bob);
    await taken(aliceExam);
    await keep(resources, a.id, kept('b', bob));
    await keep(resources, a.id, kept('e', aliceExam));
    await keep(resources, b.id, kept('t', alice));
    const ownKept = kept('k', alice);
    await keep(resources, a.id, ownKept);

    expect(await list()).toEqual({
      items: [
        { ...ownKept, state: 'Succeeded' },
        { id: mine.id, ...alice, requestedAt: now, state: 'Running', copy: mine.copy },
      ],
    });
  });

  it('answers none for a student without snapshots, nor restore or removal copies as snapshots', async () => {
    await claim(alice);
    const entry = kept('d');
    await keep(resources, a.id, entry);
    await restoreSnapshot(scope, { ...alice, id: entry.id, mode: 'beside' }, {});
    await deleteSnapshot(scope, { ...alice, id: entry.id });

    expect(objects('Pod')).toHaveLength(2);
    expect(await list()).toEqual({ items: [] });
    expect(await list(bob)).toEqual({ items: [] });
  });
});

describe('deleteSnapshot', () => {
  it("removes the entry at once, and makes a copy removing the archive from the student's folder of the store", async () => {
    const entry = kept('d');
    const other = kept('x');
    await keep(resources, a.id, entry);
    await keep(resources, a.id, other);

    const answer = await deleteSnapshot(scope, { ...alice, id: entry.id });

    expect(answer).toEqual({ deleted: entry.id });
    expect(entries().map((e) => JSON.parse(e.data!.snapshot!).id)).toEqual([other.id]);
    const [pod] = objects<V1Pod>('Pod');
    const removal = pod!.metadata!.labels![operationLabel]!;
    expect(removal).toMatch(/^remove-[0-9a-z]{20}$/);
    expect(pod!.metadata).toEqual({
      name: expect.stringMatching(new RegExp(`^job-${a.id}-[0-9a-z]{8}$`)),
      namespace: 'tenant-a',
      creationTimestamp: now,
      uid: expect.any(String),
      resourceVersion: expect.any(String),
      labels: { ...ownerLabels({ tenant: a.id, user: alice.username, tag: alice.tag }), [operationLabel]: removal },
      annotations: { 'moop.io/tenant': a.id },
    });
    expect(pod!.spec!.containers).toEqual([
      container(
        'remove',
        removeScript,
        { MOOP_STORE: '/moop/store', MOOP_REMOVE: `${entry.id}.tar.gz`, MOOP_RESULT: terminationLog },
        [{ name: 'moop-vol-0', mountPath: '/moop/store', subPath: studentFolder(alice) }],
      ),
    ]);
    expect(pod!.spec!.volumes).toEqual([
      { name: 'moop-vol-0', persistentVolumeClaim: { claimName: storeClaimName() } },
    ]);
    expect(await list()).toEqual({ items: [{ ...other, state: 'Succeeded' }] });
  });

  it('deletes the snapshot of a student whose claim is gone (an archived class)', async () => {
    const entry = kept('d');
    await keep(resources, a.id, entry);

    expect(await deleteSnapshot(scope, { ...alice, id: entry.id })).toEqual({ deleted: entry.id });
    expect(entries()).toEqual([]);
  });

  it('deletes the copy that made it too (a Pod): the snapshot stays deleted, never indexed again from its report', async () => {
    await claim(alice);
    const taken = await takeSnapshot(scope, alice, {});
    await ended(taken.snapshot.copy!, {
      exitCode: 0,
      finishedAt: '2026-03-01T10:01:00Z',
      message: said('copied', { files: 1, bytes: 2 }),
    });
    await list();

    await deleteSnapshot(scope, { ...alice, id: taken.snapshot.id });

    expect(objects<V1Pod>('Pod').map((p) => p.metadata?.labels?.[operationLabel])).toEqual([
      expect.stringMatching(/^remove-/),
    ]);
    expect([await list(), entries()]).toEqual([{ items: [] }, []]);
  });

  // A Job's pods are deleted with it at once: left to the garbage collector, a list in that window indexed the
  // snapshot again from the finished pod's report.
  it("a deleted snapshot of a Job copy stays deleted while the Job's pods wait for the garbage collector", async () => {
    const sb = { ...renderScope(b), resources };
    await claim(alice, sb);
    const taken = await takeSnapshot(sb, alice, {});
    const job = objects<V1Job>('Job')[0]!;
    const pod = `${job.metadata!.name}-x1`;
    await resources.seed<V1Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: pod,
        namespace: 'tenant-b',
        labels: { ...job.spec!.template.metadata!.labels, 'job-name': job.metadata!.name! },
        annotations: job.spec!.template.metadata!.annotations,
      },
    });
    await ended(
      pod,
      { exitCode: 0, finishedAt: '2026-03-01T10:01:00Z', message: said('copied', { files: 1, bytes: 2 }) },
      'tenant-b',
    );
    await list(alice, {}, sb);

    await deleteSnapshot(sb, { ...alice, id: taken.snapshot.id });

    expect(objects('Job').map((j) => j.metadata?.name)).not.toContain(job.metadata!.name);
    expect([await list(alice, {}, sb), entries()]).toEqual([{ items: [] }, []]);
  });

  it.each([
    ['an unknown id', alice, 'snap-zzzzzzzzzzzzzzzzzzzz'],
    ["another student's snapshot", bob, kept('d').id],
    ["the student's snapshot under another tag", aliceExam, kept('d').id],
  ])('is 404 SNAPSHOT_NOT_FOUND for %s, removing and making nothing', async (_, key, id) => {
    await keep(resources, a.id, kept('d'));
    resources.calls.length = 0;

    await expect(deleteSnapshot(scope, { ...key, id })).rejects.toMatchObject({
      status: 404,
      code: 'SNAPSHOT_NOT_FOUND',
      message: `No snapshot ${id} of ${key.username} (tag ${key.tag}).`,
    });
    expect(entries()).toHaveLength(1);
    expect(creates()).toEqual([]);
    expect(resources.calls.filter((c) => c.startsWith('delete'))).toEqual([]);
  });

  it("is 404 for another tenant's snapshot of the same id and student", async () => {
    await keep(resources, b.id, kept('d'));

    await expect(deleteSnapshot(scope, { ...alice, id: kept('d').id })).rejects.toMatchObject({
      code: 'SNAPSHOT_NOT_FOUND',
    });
    expect(entries()).toHaveLength(1);
  });
});

describe('restoreSnapshot', () => {
  const entry = kept('r', alice, '2026-03-08T14:05:09.123Z');

  it("beside: unpacks into restored-<when taken>, the student's claim writable, the store read-only", async () => {
    const studentClaim = await claim(alice);
    await keep(resources, a.id, entry);

    const answer = await restoreSnapshot(scope, { ...alice, id: entry.id, mode: 'beside' }, {});

    const [pod] = objects<V1Pod>('Pod');
    const name = pod!.metadata!.name!;
    expect(answer).toEqual({
      restore: {
        snapshot: entry.id,
        mode: 'beside',
        folder: 'restored-2026-03-08T14-05-09Z',
        copy: { name, kind: 'Pod' },
      },
      copy: { apiVersion: 'v1', kind: 'Pod', metadata: { name, uid: pod!.metadata!.uid } },
    });
    expect(pod!.metadata!.labels).toEqual({
      ...ownerLabels({ tenant: a.id, user: alice.username, tag: alice.tag }),
      [operationLabel]: expect.stringMatching(/^restore-[0-9a-z]{20}$/),
    });
    expect(pod!.metadata!.annotations).toEqual({ 'moop.io/tenant': a.id });
    expect(pod!.spec!.containers).toEqual([
      container(
        'restore',
        restoreScript,
        {
          MOOP_ARCHIVE: `/moop/store/${entry.id}.tar.gz`,
          MOOP_TO: '/moop/student/restored-2026-03-08T14-05-09Z',
          MOOP_MODE: 'beside',
          MOOP_RESULT: terminationLog,
        },
        [
          { name: 'moop-vol-0', mountPath: '/moop/student' },
          { name: 'moop-vol-1', mountPath: '/moop/store', subPath: studentFolder(alice), readOnly: true },
        ],
      ),
    ]);
    expect(pod!.spec!.volumes).toEqual([
      { name: 'moop-vol-0', persistentVolumeClaim: { claimName: studentClaim } },
      { name: 'moop-vol-1', persistentVolumeClaim: { claimName: storeClaimName(), readOnly: true } },
    ]);
  });

  it("replace: unpacks over the volume itself, no folder; the student's claim writable, the store read-only", async () => {
    const studentClaim = await claim(alice);
    await keep(resources, a.id, entry);

    const answer = await restoreSnapshot(scope, { ...alice, id: entry.id, mode: 'replace' }, {});

    const [pod] = objects<V1Pod>('Pod');
    expect(answer.restore).toEqual({
      snapshot: entry.id,
      mode: 'replace',
      copy: { name: pod!.metadata!.name, kind: 'Pod' },
    });
    expect(pod!.spec!.containers[0]!.env).toEqual([
      { name: 'MOOP_ARCHIVE', value: `/moop/store/${entry.id}.tar.gz` },
      { name: 'MOOP_TO', value: '/moop/student' },
      { name: 'MOOP_MODE', value: 'replace' },
      { name: 'MOOP_RESULT', value: terminationLog },
    ]);
    expect([pod!.spec!.containers[0]!.volumeMounts, pod!.spec!.volumes]).toEqual([
      [
        { name: 'moop-vol-0', mountPath: '/moop/student' },
        { name: 'moop-vol-1', mountPath: '/moop/store', subPath: studentFolder(alice), readOnly: true },
      ],
      [
        { name: 'moop-vol-0', persistentVolumeClaim: { claimName: studentClaim } },
        { name: 'moop-vol-1', persistentVolumeClaim: { claimName: storeClaimName(), readOnly: true } },
      ],
    ]);
  });

  it.each([
    ['2026-03-08T14:05:09.123Z', 'restored-2026-03-08T14-05-09Z'],
    ['2026-03-08T14:05:09Z', 'restored-2026-03-08T14-05-09Z'],
    ['2026-12-31T23:59:59.999999Z', 'restored-2026-12-31T23-59-59Z'],
  ])('names the folder of a snapshot taken at %s %s', (takenAt, folder) => {
    expect(besideFolder(takenAt)).toBe(folder);
  });

  it("answers a Job of a tenant's Job template as such", async () => {
    const sb = { ...renderScope(b), resources };
    await claim(alice, sb);
    await keep(resources, b.id, entry);

    const answer = await restoreSnapshot(sb, { ...alice, id: entry.id, mode: 'beside' }, {});

    const [job] = objects<V1Job>('Job');
    expect(answer).toEqual({
      restore: {
        snapshot: entry.id,
        mode: 'beside',
        folder: 'restored-2026-03-08T14-05-09Z',
        copy: { name: job!.metadata!.name, kind: 'Job' },
      },
      copy: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: job!.metadata!.name, uid: job!.metadata!.uid } },
    });
  });

  it('with an Idempotency-Key, a retry answers the same restore and makes no second copy', async () => {
    await claim(alice);
    await keep(resources, a.id, entry);
    const first = await restoreSnapshot(scope, { ...alice, id: entry.id, mode: 'replace' }, { idempotencyKey: 'r-1' });
    resources.calls.length = 0;

    const again = await restoreSnapshot(scope, { ...alice, id: entry.id, mode: 'replace' }, { idempotencyKey: 'r-1' });

    expect(again).toEqual(first);
    expect(creates()).toEqual([]);
    expect(objects('Pod')).toHaveLength(1);
  });

  it.each([
    ['an unknown id', alice, 'snap-zzzzzzzzzzzzzzzzzzzz'],
    ["another student's snapshot", bob, entry.id],
  ])('is 404 SNAPSHOT_NOT_FOUND for %s, making nothing', async (_, key, id) => {
    await claim(alice);
    await claim(bob);
    await keep(resources, a.id, entry);
    resources.calls.length = 0;

    await expect(restoreSnapshot(scope, { ...key, id, mode: 'beside' }, {})).rejects.toMatchObject({
      status: 404,
      code: 'SNAPSHOT_NOT_FOUND',
    });
    expect(creates()).toEqual([]);
  });

  it('is 404 CLAIM_NOT_FOUND when the student no longer has a claim to restore into, making no copy', async () => {
    await keep(resources, a.id, entry);

    await expect(restoreSnapshot(scope, { ...alice, id: entry.id, mode: 'replace' }, {})).rejects.toMatchObject({
      status: 404,
      code: 'CLAIM_NOT_FOUND',
    });
    expect(objects('Pod')).toEqual([]);
  });
});
