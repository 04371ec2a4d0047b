// The notifier's runs over an in-memory cluster: each due notice published once, final ones deleted and others kept as
// told; a notice another run holds passed by until its lease ends; two runs at once publish each event once; an event
// EventBridge refused is given back for the next run, and the run fails to say so. The notices are kept in the records
// namespace, listed with one call for every tenant, and told only about a namespace prepared for their own tenant.
import { Logger } from '@aws-lambda-powertools/logger';
import type { KubernetesObject, V1ConfigMap, V1Job, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { leaseSeconds, type NotifierContext, runNotifier } from '../../../lib/notices/notifier.ts';
import { claimNotice, type NoticeTarget, noticeOf, recordNotice } from '../../../lib/notices/record.ts';
import type { NoticeType } from '../../../lib/notices/schemas.ts';
import { markOwned, recordsNamespace } from '../../../lib/ownership/ownership.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';
import { FakePublisher } from '../../support/publisher.ts';

const [a, b] = [tenants.a, tenants.b];
const t0 = Date.parse('2026-03-01T10:00:00.000Z');
/** Ten minutes after the notices were asked for: past the grace and pendingSeconds. */
const later = t0 + 600_000;

let resources: FakeResources;
let publisher: FakePublisher;
const context = (now = later, over: Partial<NotifierContext> = {}): NotifierContext => ({
  resources,
  publisher,
  logger: new Logger({ logLevel: 'SILENT' }),
  settings: { pendingSeconds: 300, concurrency: 4 },
  now: () => now,
  ...over,
});

const tenantNamespace = (name: string, tenant?: string) =>
  resources.seed({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, ...(tenant ? { labels: { 'moop.io/tenant': tenant } } : {}) },
  });
const finished = (phase: 'Succeeded' | 'Failed', exitCode: number): V1Pod['status'] => ({
  phase,
  containerStatuses: [
    {
      name: 'copy',
      image: 'busybox',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode, finishedAt: '2026-03-01T10:02:00Z' as unknown as Date } },
    },
  ],
});
const stuck: V1Pod['status'] = {
  phase: 'Pending',
  containerStatuses: [
    {
      name: 'copy',
      image: 'nowhere/copy',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } },
    },
  ],
};

/** Seeds the tenant's object in namespace, and a notice asked for it at t0; answers the notice's target. */
async function asked<T extends KubernetesObject>(
  tenant: string,
  namespace: string,
  obj: T,
  correlationId = `order-${obj.metadata!.name}`,
): Promise<NoticeTarget> {
  const seeded = await resources.seed(markOwned({ ...obj, metadata: { ...obj.metadata, namespace } }, { tenant }));
  const target = {
    kind: seeded.kind as NoticeTarget['kind'],
    name: seeded.metadata!.name!,
    uid: seeded.metadata!.uid!,
  };
  await recordNotice(resources, { tenant, namespace, target, correlationId }, new Date(t0));
  return target;
}
const pod = (name: string, status: V1Pod['status']): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  status,
});
const completedJob = (name: string): V1Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name },
  status: {
    succeeded: 1,
    conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-03-01T10:03:00Z' as unknown as Date }],
  },
});
const claim = (name: string, phase: string): V1PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name },
  status: { phase },
});

/** The notices kept, as [namespace, target name, what was told, what is being published]. */
const kept = async () =>
  (await resources.list<V1ConfigMap>('v1', 'ConfigMap', { namespace: recordsNamespace })).items.map((m) => {
    const n = noticeOf(m, a.id)!;
    return [n.namespace, n.target.name, n.told, n.publishing?.type];
  });
/** What was published, as [detail-type, eventId]. */
const told = () =>
  publisher.published.map((e) => [e.detailType, (e.detail as { eventId: string }).eventId] as [NoticeType, string]);

beforeEach(async () => {
  resources = new FakeResources();
  publisher = new FakePublisher();
  await tenantNamespace('tenant-a', a.id);
  await tenantNamespace('tenant-b', b.id);
});

describe('one run', () => {
  let targets: Record<string, NoticeTarget>;
  beforeEach(async () => {
    targets = {
      done: await asked(a.id, 'tenant-a', pod('done', finished('Succeeded', 0))),
      stuck: await asked(a.id, 'tenant-a', pod('stuck', stuck)),
      running: await asked(a.id, 'tenant-a', pod('running', { phase: 'Running' })),
      pending: await asked(a.id, 'tenant-a', claim('pending', 'Pending')),
      job: await asked(b.id, 'tenant-b', completedJob('job')),
    };
  });

  it('publishes each due notice once, in every tenant namespace, and answers what it told', async () => {
    const summary = await runNotifier(context());
    expect(told()).toEqual([
      ['CopySucceeded', `${targets.done!.uid}/CopySucceeded`],
      ['CopyStuck', `${targets.stuck!.uid}/CopyStuck`],
      ['ClaimStillPending', `${targets.pending!.uid}/ClaimStillPending`],
      ['CopySucceeded', `${targets.job!.uid}/CopySucceeded`],
    ]);
    expect(summary).toEqual({
      namespaces: 2,
      notices: 5,
      published: { CopySucceeded: 2, CopyStuck: 1, ClaimStillPending: 1 },
      unpublished: 0,
      unlisted: 0,
    });
  });

  it('publishes the whole detail of an event: the routes’ reason, the caller’s id, when it was seen', async () => {
    await runNotifier(context());
    expect(publisher.published[0]).toEqual({
      detailType: 'CopySucceeded',
      detail: {
        eventId: `${targets.done!.uid}/CopySucceeded`,
        tenant: a.id,
        namespace: 'tenant-a',
        kind: 'Pod',
        name: 'done',
        uid: targets.done!.uid,
        correlationId: 'order-done',
        requestedAt: '2026-03-01T10:00:00.000Z',
        observedAt: '2026-03-01T10:10:00.000Z',
        finishedAt: '2026-03-01T10:02:00.000Z',
        reason: { phase: 'Succeeded', reason: 'Completed', message: 'Pod done finished' },
      },
    });
  });

  it('deletes the notices told a final outcome and keeps the others, recording what they were told', async () => {
    await runNotifier(context());
    expect(await kept()).toEqual([
      ['tenant-a', 'stuck', ['CopyStuck'], undefined],
      ['tenant-a', 'running', [], undefined],
      ['tenant-a', 'pending', ['ClaimStillPending'], undefined],
    ]);
  });

  it('publishes nothing new on a second run', async () => {
    await runNotifier(context());
    const summary = await runNotifier(context(later + 60_000));
    expect([told().length, summary.published, summary.notices]).toEqual([4, {}, 3]);
  });

  it("lists every notice at once, in the records namespace, and each namespace's targets once: no read per notice", async () => {
    resources.calls.length = 0;
    await runNotifier(context());
    const reads = resources.calls.filter((c) => c.startsWith('get') || c.startsWith('list')).sort();
    expect(reads).toEqual([
      'list ConfigMap moop-records',
      'list Event tenant-a',
      'list Job tenant-a',
      'list Job tenant-b',
      'list Namespace ',
      'list PersistentVolumeClaim tenant-a',
      'list PersistentVolumeClaim tenant-b',
      'list Pod tenant-a',
      'list Pod tenant-b',
    ]);
  });
});

it('passes by a namespace not marked as a tenant’s, one that is not there, and a malformed notice, telling the others', async () => {
  await tenantNamespace('elsewhere');
  await asked(a.id, 'elsewhere', pod('elsewhere', finished('Succeeded', 0)));
  await asked(a.id, 'nowhere', pod('nowhere', finished('Succeeded', 0)));
  const done = await asked(a.id, 'tenant-a', pod('done', finished('Succeeded', 0)));
  await asked(a.id, 'tenant-a', pod('odd', finished('Succeeded', 0)));
  const [odd] = [...resources.objects.values()].filter((o) => o.kind === 'ConfigMap').slice(-1) as V1ConfigMap[];
  odd!.data!.told = '{}';
  resources.calls.length = 0;
  const summary = await runNotifier(context());
  expect([told(), summary.namespaces, summary.notices, summary.unlisted]).toEqual([
    [['CopySucceeded', `${done.uid}/CopySucceeded`]],
    1,
    1,
    0,
  ]);
  // Not even their objects are read.
  expect(resources.calls.filter((c) => / (elsewhere|nowhere)$/.test(c))).toEqual([]);
});

it('never tells a notice naming a namespace prepared for another tenant, nor changes it', async () => {
  // Tenant B's finished copy, and a notice of tenant A's naming it (as if A's request had named B's namespace).
  const job = await asked(b.id, 'tenant-b', completedJob('job'));
  await recordNotice(resources, { tenant: a.id, namespace: 'tenant-b', target: job, correlationId: 'a-spies' });
  const [theirs] = (await resources.list<V1ConfigMap>('v1', 'ConfigMap', { namespace: recordsNamespace })).items.filter(
    (m) => m.data?.correlationId === 'a-spies',
  );
  const summary = await runNotifier(context());
  // Only B's own notice is told, to B.
  const detail = (e: (typeof publisher.published)[number]) => e.detail as { tenant: string; correlationId: string };
  expect(publisher.published.map((e) => [e.detailType, detail(e).tenant, detail(e).correlationId])).toEqual([
    ['CopySucceeded', b.id, 'order-job'],
  ]);
  expect([summary.namespaces, summary.notices, summary.unlisted]).toEqual([1, 1, 0]);
  // A's notice is left as it was: neither claimed nor told (nor deleted), and told by no later run either.
  const after = await resources.list<V1ConfigMap>('v1', 'ConfigMap', { namespace: recordsNamespace });
  expect(after.items).toEqual([theirs]);
  await runNotifier(context(later + leaseSeconds * 1000));
  expect(publisher.published).toHaveLength(1);
});

it('tells a target deleted before it reached an end, once the grace has passed', async () => {
  const gone = await asked(a.id, 'tenant-a', pod('gone', { phase: 'Running' }));
  await resources.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'tenant-a', name: 'gone' });
  await runNotifier(context(t0 + 10_000));
  expect(told()).toEqual([]);
  await runNotifier(context(t0 + 60_000));
  expect([told(), await kept()]).toEqual([[['TargetDeleted', `${gone.uid}/TargetDeleted`]], []]);
});

describe('a notice claimed by a run', () => {
  let done: NoticeTarget;
  beforeEach(async () => {
    done = await asked(a.id, 'tenant-a', pod('done', finished('Succeeded', 0)));
  });

  it('is passed by while that run publishes it, and published once the lease has passed', async () => {
    const [listed] = (await resources.list<V1ConfigMap>('v1', 'ConfigMap', { namespace: recordsNamespace })).items;
    await claimNotice(resources, noticeOf(listed!, a.id)!, 'CopySucceeded', new Date(later));
    await runNotifier(context(later + (leaseSeconds - 1) * 1000));
    expect(told()).toEqual([]);
    await runNotifier(context(later + leaseSeconds * 1000));
    expect([told(), await kept()]).toEqual([[['CopySucceeded', `${done.uid}/CopySucceeded`]], []]);
  });

  it('and told but not settled is told again after the lease, with the same eventId (the documented duplicate)', async () => {
    const remove = resources.delete.bind(resources);
    resources.delete = async () => {
      throw new Error('the API server went away');
    };
    await runNotifier(context());
    resources.delete = remove;
    await runNotifier(context(later + 60_000));
    expect(told()).toHaveLength(1);
    await runNotifier(context(later + leaseSeconds * 1000));
    const eventId = `${done.uid}/CopySucceeded`;
    expect([told(), await kept()]).toEqual([
      [
        ['CopySucceeded', eventId],
        ['CopySucceeded', eventId],
      ],
      [],
    ]);
  });
});

it('publishes each event once when two runs go over the same notices at once', async () => {
  const targets = [
    await asked(a.id, 'tenant-a', pod('done', finished('Succeeded', 0))),
    await asked(a.id, 'tenant-a', pod('failed', finished('Failed', 3))),
    await asked(a.id, 'tenant-a', pod('stuck', stuck)),
  ];
  // Both runs list the notices before either claims one: they race on the same resourceVersions.
  const list = resources.list.bind(resources);
  let listed = 0;
  let bothListed: () => void;
  const gate = new Promise<void>((resolve) => {
    bothListed = resolve;
  });
  resources.list = async <T extends KubernetesObject>(...args: Parameters<FakeResources['list']>) => {
    const page = await list<T>(...args);
    if (args[1] === 'ConfigMap') {
      if (++listed === 2) bothListed();
      await gate;
    }
    return page;
  };
  const summaries = await Promise.all([runNotifier(context()), runNotifier(context())]);
  expect(told().sort()).toEqual([
    ['CopyFailed', `${targets[1]!.uid}/CopyFailed`],
    ['CopyStuck', `${targets[2]!.uid}/CopyStuck`],
    ['CopySucceeded', `${targets[0]!.uid}/CopySucceeded`],
  ]);
  expect(summaries.map((s) => s.notices)).toEqual([3, 3]);
  expect(await kept()).toEqual([['tenant-a', 'stuck', ['CopyStuck'], undefined]]);
});

describe('an event EventBridge refuses', () => {
  let targets: NoticeTarget[];
  beforeEach(async () => {
    targets = [
      await asked(a.id, 'tenant-a', pod('refused', finished('Succeeded', 0))),
      await asked(a.id, 'tenant-a', pod('done', finished('Succeeded', 0))),
      await asked(b.id, 'tenant-b', completedJob('job')),
    ];
    publisher.refuse = (e) => (e.detail as { name: string }).name === 'refused';
  });

  it('gives its notice back untold and fails the run, NOTICES_UNPUBLISHED, after telling the others', async () => {
    await expect(runNotifier(context())).rejects.toMatchObject({
      code: 'NOTICES_UNPUBLISHED',
      message: '1 notice(s) could not be published and 0 namespace(s) not read; the next run tries them again.',
    });
    expect(told()).toEqual([
      ['CopySucceeded', `${targets[1]!.uid}/CopySucceeded`],
      ['CopySucceeded', `${targets[2]!.uid}/CopySucceeded`],
    ]);
    expect(await kept()).toEqual([['tenant-a', 'refused', [], undefined]]);
  });

  it('is published by the next run, without waiting for a lease', async () => {
    await expect(runNotifier(context())).rejects.toMatchObject({ code: 'NOTICES_UNPUBLISHED' });
    publisher.refuse = () => false;
    const summary = await runNotifier(context(later + 60_000));
    expect([summary.published, told().at(-1), await kept()]).toEqual([
      { CopySucceeded: 1 },
      ['CopySucceeded', `${targets[0]!.uid}/CopySucceeded`],
      [],
    ]);
  });
});

it('passes by a namespace whose targets cannot be listed, tells the others, and fails the run after', async () => {
  await asked(a.id, 'tenant-a', pod('done', finished('Succeeded', 0)));
  const job = await asked(b.id, 'tenant-b', completedJob('job'));
  const list = resources.list.bind(resources);
  resources.list = async <T extends KubernetesObject>(...args: Parameters<FakeResources['list']>) => {
    if (args[2]?.namespace === 'tenant-a') throw new Error('forbidden');
    return list<T>(...args);
  };
  await expect(runNotifier(context())).rejects.toMatchObject({
    code: 'NOTICES_UNPUBLISHED',
    message: '0 notice(s) could not be published and 1 namespace(s) not read; the next run tries them again.',
  });
  expect(told()).toEqual([['CopySucceeded', `${job.uid}/CopySucceeded`]]);
});

it('fails the run, telling nothing, when the notices cannot be listed', async () => {
  await asked(a.id, 'tenant-a', pod('done', finished('Succeeded', 0)));
  const list = resources.list.bind(resources);
  resources.list = async <T extends KubernetesObject>(...args: Parameters<FakeResources['list']>) => {
    if (args[2]?.namespace === recordsNamespace) throw new Error('forbidden');
    return list<T>(...args);
  };
  await expect(runNotifier(context())).rejects.toThrow('forbidden');
  resources.list = list;
  expect([told(), await kept()]).toEqual([[], [['tenant-a', 'done', [], undefined]]]);
});
