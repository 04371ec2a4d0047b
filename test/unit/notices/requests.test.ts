// A route's request to be told: an end its answer already shows is published at once and nothing kept; anything else
// (or a publication EventBridge refused) is kept for the notifier, and a retried request keeps the same notice.
import { jest } from '@jest/globals';
import type { KubernetesObject, V1ConfigMap, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { noticeOf } from '../../../lib/notices/record.ts';
import { askToBeTold } from '../../../lib/notices/requests.ts';
import { markOwned, recordsNamespace } from '../../../lib/ownership/ownership.ts';
import type { TenantScope } from '../../../lib/tenants/scope.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';
import { FakePublisher } from '../../support/publisher.ts';
import { renderScope } from '../../support/scope.ts';

const id = tenants.a.id;
const now = '2026-03-01T10:00:00.000Z';
const notify = { id: 'order-17' };

let resources: FakeResources;
let publisher: FakePublisher;
let scope: TenantScope;

beforeAll(() => {
  // Only the clock: the requests' times are read from it, and nothing else may wait on fake timers.
  jest.useFakeTimers({
    now: Date.parse(now),
    doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'setInterval', 'setTimeout', 'hrtime', 'performance'],
  });
});
afterAll(() => {
  jest.useRealTimers();
});
beforeEach(() => {
  resources = new FakeResources();
  publisher = new FakePublisher();
  scope = { ...renderScope(tenants.a), resources };
});

/** The object as the route answers it: made in the cluster, so with its uid. */
const made = <T extends KubernetesObject>(obj: T): Promise<T> =>
  resources.seed(markOwned({ ...obj, metadata: { ...obj.metadata, namespace: 'tenant-a' } }, { tenant: id }));
const pod = (name: string, status: V1Pod['status']) =>
  made<V1Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, status });
const claim = (username: string, phase: string) =>
  made<V1PersistentVolumeClaim>({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: `pvc-${id}-${username}-default` },
    spec: phase === 'Bound' ? { volumeName: `pv-${id}-${username}-default` } : {},
    status: { phase },
  });
const succeeded: V1Pod['status'] = {
  phase: 'Succeeded',
  containerStatuses: [
    {
      name: 'copy',
      image: 'busybox',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, finishedAt: '2026-03-01T09:59:58Z' as unknown as Date } },
    },
  ],
};

/** The notices kept (in the records namespace, naming the tenant's), as [target name, correlation id, username]. */
const kept = async () => {
  const all = await resources.list<V1ConfigMap>('v1', 'ConfigMap', {});
  expect(all.items.map((m) => m.metadata?.namespace).filter((ns) => ns !== recordsNamespace)).toEqual([]);
  return all.items.map((m) => {
    const n = noticeOf(m, id)!;
    expect(n.namespace).toBe('tenant-a');
    return [n.target.name, n.correlationId, n.username];
  });
};

it('publishes a copy its answer shows finished at once, and keeps nothing', async () => {
  const copy = await pod('done', succeeded);
  await askToBeTold(scope, publisher, notify, [{ object: copy }]);
  expect(publisher.published).toEqual([
    {
      detailType: 'CopySucceeded',
      detail: {
        eventId: `${copy.metadata!.uid}/CopySucceeded`,
        tenant: id,
        namespace: 'tenant-a',
        kind: 'Pod',
        name: 'done',
        uid: copy.metadata!.uid,
        correlationId: 'order-17',
        requestedAt: now,
        observedAt: now,
        finishedAt: '2026-03-01T09:59:58.000Z',
        reason: { phase: 'Succeeded', reason: 'Completed', message: 'Pod done finished' },
      },
    },
  ]);
  expect(await kept()).toEqual([]);
});

it('keeps a running copy, and a stuck one, for the notifier, publishing nothing', async () => {
  const running = await pod('running', { phase: 'Running' });
  const stuck = await pod('stuck', {
    phase: 'Pending',
    containerStatuses: [
      {
        name: 'copy',
        image: 'nowhere/copy',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { waiting: { reason: 'ErrImagePull', message: 'pull access denied' } },
      },
    ],
  });
  await askToBeTold(scope, publisher, notify, [{ object: running }, { object: stuck }]);
  expect([publisher.published, await kept()]).toEqual([
    [],
    [
      ['running', 'order-17', undefined],
      ['stuck', 'order-17', undefined],
    ],
  ]);
});

it("publishes a roster's Bound claims at once and keeps its Pending ones, each with its student", async () => {
  const [alice, bob] = [await claim('alice', 'Bound'), await claim('bob', 'Pending')];
  await askToBeTold(scope, publisher, notify, [
    { object: alice, username: 'alice' },
    { object: bob, username: 'bob' },
  ]);
  expect(publisher.published).toEqual([
    {
      detailType: 'ClaimBound',
      detail: {
        eventId: `${alice.metadata!.uid}/ClaimBound`,
        tenant: id,
        namespace: 'tenant-a',
        kind: 'PersistentVolumeClaim',
        name: `pvc-${id}-alice-default`,
        uid: alice.metadata!.uid,
        correlationId: 'order-17',
        username: 'alice',
        requestedAt: now,
        observedAt: now,
        reason: { phase: 'Bound', reason: 'Bound', message: `bound to volume pv-${id}-alice-default` },
      },
    },
  ]);
  expect(await kept()).toEqual([[`pvc-${id}-bob-default`, 'order-17', 'bob']]);
});

it('keeps a finished copy whose event EventBridge refused, for the notifier to publish', async () => {
  publisher.refuse = () => true;
  const copy = await pod('done', succeeded);
  await askToBeTold(scope, publisher, notify, [{ object: copy }]);
  expect([publisher.published, await kept()]).toEqual([[], [['done', 'order-17', undefined]]]);
});

it('takes a retried request whose notice is kept already as the same request', async () => {
  const copy = await pod('running', { phase: 'Running' });
  await askToBeTold(scope, publisher, notify, [{ object: copy }]);
  await expect(askToBeTold(scope, publisher, notify, [{ object: copy }])).resolves.toBeUndefined();
  expect(await kept()).toEqual([['running', 'order-17', undefined]]);
});

it('fails when a request can be neither published nor kept', async () => {
  const copy = await pod('running', { phase: 'Running' });
  resources.create = async () => {
    throw new Error('the API server went away');
  };
  await expect(askToBeTold(scope, publisher, notify, [{ object: copy }])).rejects.toThrow('the API server went away');
});
