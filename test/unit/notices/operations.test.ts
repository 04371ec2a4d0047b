// A class operation's notice: what the operation has come to (succeeded, or failed when some student did; nothing while
// a student's copy runs), read from its record and the copies the notifier listed; and the notifier telling its end
// once, over an in-memory cluster, to the fake EventBridge.
import { Logger } from '@aws-lambda-powertools/logger';
import type { V1ConfigMap, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { type NotifierContext, runNotifier } from '../../../lib/notices/notifier.ts';
import { operationOutcome } from '../../../lib/notices/outcomes.ts';
import { type NoticeTarget, noticeOf, recordNotice } from '../../../lib/notices/record.ts';
import { createRecord, type OperationPlan, operationLabel, settleRecord } from '../../../lib/operations/record.ts';
import { operationResults } from '../../../lib/operations/results.ts';
import { markOwned, recordsNamespace } from '../../../lib/ownership/ownership.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';
import { FakePublisher } from '../../support/publisher.ts';

const [a, b] = [tenants.a, tenants.b];
const id = 'op-abcdefghij0123456789';
const startedAt = '2026-03-01T10:00:00.000Z';
const t0 = Date.parse(startedAt);
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
/** Ten minutes after the start: past every grace. */
const later = t0 + 600_000;

const message = (status: string, files: number, reason = ' ') =>
  `moop-copy 1\nstatus ${status}\nfiles ${files}\nbytes ${files * 10}\nkept 0\nlate 0\nreason ${reason}\n`;
const ended = (index: number, text: string, seconds: number): V1ContainerStatus => ({
  name: `student-${index}`,
  image: 'busybox',
  imageID: '',
  ready: false,
  restartCount: 0,
  state: { terminated: { exitCode: 0, message: text, finishedAt: at(seconds) as unknown as Date } },
});
const runningStatus = (index: number): V1ContainerStatus => ({
  name: `student-${index}`,
  image: 'busybox',
  imageID: '',
  ready: false,
  restartCount: 0,
  state: { running: {} },
});

/** Alice and Bob in one copy, Carol skipped. */
const plan: OperationPlan = {
  id,
  kind: 'distribution',
  namespace: 'tenant-a',
  startedAt,
  copies: [{ name: 'job-a-operation', kind: 'Pod', students: [0, 1] }],
  students: [
    { username: 'alice', tag: 'default', copy: 'job-a-operation' },
    { username: 'bob', tag: 'default', copy: 'job-a-operation' },
    { username: 'carol', tag: 'default', skipped: { code: 'NO_VOLUME', message: 'carol has no claim (tag default)' } },
  ],
};
const copied: V1Pod['status'] = {
  phase: 'Succeeded',
  containerStatuses: [ended(0, message('copied', 2), 30), ended(1, message('copied', 1), 40)],
};
const oneFailed: V1Pod['status'] = {
  phase: 'Succeeded',
  containerStatuses: [
    ended(0, message('copied', 2), 30),
    ended(1, message('failed', 0, 'SOURCE_MISSING no folder /week1 to copy from'), 35),
  ],
};
const stillRunning: V1Pod['status'] = {
  phase: 'Running',
  containerStatuses: [ended(0, message('copied', 2), 30), runningStatus(1)],
};
/** The copy's pod as the lists hold it. */
const copyPod = (status: V1Pod['status']): V1Pod => ({
  metadata: {
    name: 'job-a-operation',
    namespace: 'tenant-a',
    labels: { [operationLabel]: id, 'app.kubernetes.io/managed-by': 'moop-resource-service' },
  },
  status,
});

let resources: FakeResources;
let publisher: FakePublisher;
beforeEach(() => {
  resources = new FakeResources();
  publisher = new FakePublisher();
});

describe('operationOutcome', () => {
  let record: V1ConfigMap;
  beforeEach(async () => {
    record = await createRecord(resources, a.id, plan);
  });
  const outcome = (status: V1Pod['status'] | undefined, now = later, tenant = a.id) =>
    operationOutcome(record, tenant, { pods: status ? [copyPod(status)] : [], jobs: [] }, new Date(now));

  it('is OperationSucceeded when every student copied or was skipped, ended when the last copy did', () => {
    expect(outcome(copied)).toEqual({
      type: 'OperationSucceeded',
      reason: { phase: 'Succeeded', reason: 'Completed', message: '2 copied, 0 late, 1 skipped, 0 failed' },
      finishedAt: at(40),
    });
  });

  it('is OperationFailed when some student failed', () => {
    expect(outcome(oneFailed)).toEqual({
      type: 'OperationFailed',
      reason: { phase: 'Failed', reason: 'StudentsFailed', message: '1 copied, 0 late, 1 skipped, 1 failed' },
      finishedAt: at(35),
    });
  });

  it("is nothing yet while a student's copy runs, or while a young operation's copy is not listed", () => {
    expect([outcome(stillRunning), outcome(undefined, t0 + 5_000)]).toEqual([undefined, undefined]);
  });

  it('is OperationFailed once the copy is gone past the grace, every student COPY_DELETED', () => {
    expect(outcome(undefined)).toEqual({
      type: 'OperationFailed',
      reason: { phase: 'Failed', reason: 'StudentsFailed', message: '0 copied, 0 late, 1 skipped, 2 failed' },
      finishedAt: startedAt,
    });
  });

  it('is what the settled results say, whatever the lists hold now (the copies retired)', async () => {
    const settledAs = operationResults(plan, { pods: [copyPod(copied)], jobs: [] }, later);
    await settleRecord(resources, { plan, configMap: record }, settledAs);
    record = (await resources.list<V1ConfigMap>('v1', 'ConfigMap', { namespace: recordsNamespace })).items[0]!;
    expect(outcome(undefined, later + 86_400_000)).toEqual({
      type: 'OperationSucceeded',
      reason: { phase: 'Succeeded', reason: 'Completed', message: '2 copied, 0 late, 1 skipped, 0 failed' },
      finishedAt: at(40),
    });
  });

  it("is nothing for a record that is another tenant's, or not a record at all", () => {
    const forged = { ...record, data: { plan: '{"id": "op-x"}' } };
    expect([
      outcome(copied, later, b.id),
      operationOutcome(forged, a.id, { pods: [copyPod(copied)], jobs: [] }, new Date(later)),
    ]).toEqual([undefined, undefined]);
  });
});

describe("the notifier, telling an operation's end", () => {
  const context = (now: number): NotifierContext => ({
    resources,
    publisher,
    logger: new Logger({ logLevel: 'SILENT' }),
    settings: { pendingSeconds: 300, concurrency: 4 },
    now: () => now,
  });
  let target: NoticeTarget;

  /** Tenant A's namespace, the operation's record and a notice asked for it at the start, and its copy's pod. */
  beforeEach(async () => {
    await resources.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'tenant-a', labels: { 'moop.io/tenant': a.id } },
    });
    const record = await createRecord(resources, a.id, plan);
    target = { kind: 'Operation', name: id, uid: record.metadata!.uid! };
    await recordNotice(
      resources,
      { tenant: a.id, namespace: 'tenant-a', target, correlationId: 'order-distribution' },
      new Date(t0),
    );
  });
  const seedCopy = (status: V1Pod['status']) =>
    resources.seed(markOwned({ apiVersion: 'v1', kind: 'Pod', ...copyPod(status) }, { tenant: a.id }));
  const setCopy = (status: V1Pod['status']) =>
    resources.mergePatch({ apiVersion: 'v1', kind: 'Pod', namespace: 'tenant-a', name: 'job-a-operation' }, { status });
  /** The notices kept, as [target name, what was told]. */
  const kept = async () =>
    (await resources.list<V1ConfigMap>('v1', 'ConfigMap', { namespace: recordsNamespace })).items
      .map((m) => noticeOf(m, a.id))
      .filter((n) => n?.target.kind === 'Operation')
      .map((n) => [n!.target.name, n!.told]);

  it('tells OperationSucceeded once, with the whole detail, and lets the notice go', async () => {
    await seedCopy(stillRunning);
    const first = await runNotifier(context(t0 + 60_000));
    expect([first.published, publisher.published, await kept()]).toEqual([{}, [], [[id, []]]]);

    await setCopy(copied);
    const second = await runNotifier(context(later));
    const third = await runNotifier(context(later + 60_000));

    expect([second.published, third.published]).toEqual([{ OperationSucceeded: 1 }, {}]);
    expect(publisher.published).toEqual([
      {
        detailType: 'OperationSucceeded',
        detail: {
          eventId: `${target.uid}/OperationSucceeded`,
          tenant: a.id,
          namespace: 'tenant-a',
          kind: 'Operation',
          name: id,
          uid: target.uid,
          correlationId: 'order-distribution',
          requestedAt: startedAt,
          observedAt: new Date(later).toISOString(),
          finishedAt: at(40),
          reason: { phase: 'Succeeded', reason: 'Completed', message: '2 copied, 0 late, 1 skipped, 0 failed' },
        },
      },
    ]);
    expect(await kept()).toEqual([]);
  });

  it('tells OperationFailed once when a student failed', async () => {
    await seedCopy(oneFailed);
    await runNotifier(context(later));
    await runNotifier(context(later + 60_000));
    expect(publisher.published.map((e) => [e.detailType, (e.detail as { reason: unknown }).reason])).toEqual([
      [
        'OperationFailed',
        { phase: 'Failed', reason: 'StudentsFailed', message: '1 copied, 0 late, 1 skipped, 1 failed' },
      ],
    ]);
    expect(publisher.eventIds()).toEqual([`${target.uid}/OperationFailed`]);
    expect(await kept()).toEqual([]);
  });

  it('tells OperationFailed once the copy was deleted before it reported', async () => {
    await runNotifier(context(t0 + 10_000));
    expect(publisher.published).toEqual([]);
    await runNotifier(context(later));
    expect(publisher.eventIds()).toEqual([`${target.uid}/OperationFailed`]);
  });

  it('tells TargetDeleted when the record itself is gone', async () => {
    await seedCopy(copied);
    const [record] = (
      await resources.list<V1ConfigMap>('v1', 'ConfigMap', {
        namespace: recordsNamespace,
        labelSelector: operationLabel,
      })
    ).items;
    await resources.delete({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: recordsNamespace,
      name: record!.metadata!.name!,
    });
    await runNotifier(context(later));
    expect(publisher.published.map((e) => e.detailType)).toEqual(['TargetDeleted']);
  });

  it("never tells another tenant's notice naming the operation", async () => {
    await seedCopy(copied);
    await recordNotice(
      resources,
      { tenant: b.id, namespace: 'tenant-a', target, correlationId: 'b-spies' },
      new Date(t0),
    );
    await runNotifier(context(later));
    expect(
      publisher.published.map((e) => [
        e.detailType,
        (e.detail as { tenant: string; correlationId: string }).correlationId,
      ]),
    ).toEqual([['OperationSucceeded', 'order-distribution']]);
  });
});
