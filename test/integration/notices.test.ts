// Completion notices end to end, on the kwok nodes: a route's `notify` is published at once when its answer shows an
// end, kept otherwise as a ConfigMap of the records namespace and told by the scheduled notifier (invoked through
// serverless-offline), every event reaching a real SQS queue through moto's EventBridge rule. Also: claims bound by the
// real PV controller, the one duplicate a run killed after publishing leaves, a refused publication told by the next
// run, a copy deleted before it was told, and a bad correlation id refused before anything is made.
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import type { OutgoingEvent, Publisher } from '../../lib/aws/events.ts';
import { leaseSeconds } from '../../lib/notices/notifier.ts';
import { tenantFolder, tenants } from '../fixtures/tenants.ts';
import type { ClaimAnswer, CopyAnswer, ErrorAnswer, VolumeAnswer } from '../support/answers.ts';
import { call } from '../support/api.ts';
import { admin, until } from '../support/cluster.ts';
import { byUserPrefix, managedNames, sweep } from '../support/managed.ts';
import { userPrefix } from '../support/names.ts';
import { type NoticeQueue, noticeMaps, noticeQueue, noticesOf, notifierRun, scheduledRun } from '../support/notices.ts';

const prefix = userPrefix('notices');
const tenant = tenants.a.id;
const namespace = tenants.a.namespace!;
const { core } = admin();
const copies = new Set<string>();
const timestamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
let queue: NoticeQueue;

beforeAll(async () => {
  queue = await noticeQueue();
});

afterAll(async () => {
  await sweep((o) => byUserPrefix(prefix)(o) || copies.has(o.metadata?.name ?? '') || noticesOf(prefix)(o));
  await queue.remove();
});

/** A correlation id of this file's. */
const id = (what: string): string => `${prefix}${what}`;

/** A copy of tenant a (a bare Pod on kwok, which runs it at once), asking to be told. */
async function copy(what: string, wait: number): Promise<CopyAnswer<V1Pod>> {
  const answer = await call<CopyAnswer<V1Pod>>('POST', '/service/v1/pods', {
    body: { tenant, cmd: 'true', wait, notify: { id: id(what) } },
  });
  expect([answer.status, answer.body.kind]).toEqual([201, 'Pod']);
  copies.add(answer.body.metadata.name);
  return answer.body;
}

const succeeded = async (name: string): Promise<boolean> =>
  (await core.readNamespacedPod({ name, namespace })).status?.phase === 'Succeeded';

/** The event, as the queue receives it, that tells a copy of tenant a succeeded. */
const copySucceeded = (pod: V1Pod, what: string) => ({
  version: '0',
  id: expect.any(String),
  'detail-type': 'CopySucceeded',
  source: 'moop.resource-service',
  time: timestamp,
  region: 'eu-west-1',
  resources: [],
  detail: {
    eventId: `${pod.metadata!.uid}/CopySucceeded`,
    tenant,
    namespace,
    kind: 'Pod',
    name: pod.metadata!.name,
    uid: pod.metadata!.uid,
    correlationId: id(what),
    requestedAt: timestamp,
    observedAt: timestamp,
    finishedAt: timestamp,
    reason: { phase: 'Succeeded', reason: 'Completed', message: `Pod ${pod.metadata!.name} finished` },
  },
});

/** A summary of a run that saw notices notices and published what published counts. */
const summary = (notices: number, published: Record<string, number> = {}) => ({
  namespaces: expect.any(Number),
  notices,
  published,
  unpublished: 0,
  unlisted: 0,
});

/** The notice kept for a target, as the admin reads it in the records namespace: naming the tenant's namespace. */
const kept = (target: { kind: string; name: string; uid?: string }, what: string, extra: object = {}) => ({
  name: expect.stringMatching(new RegExp(`^notice-${tenant}-[a-z0-9]+$`)),
  labels: {
    'app.kubernetes.io/managed-by': 'moop-resource-service',
    'moop.io/tenant': tenant,
    'moop.io/notice-for': target.kind,
  },
  data: {
    namespace,
    target: JSON.stringify(target),
    correlationId: id(what),
    requestedAt: timestamp,
    told: '[]',
    ...extra,
  },
});
const asKept = (m: V1ConfigMap) => ({ name: m.metadata?.name, labels: m.metadata?.labels, data: m.data });

describe('copies', () => {
  it('publishes at once a copy whose wait saw it succeed, and keeps nothing for the notifier', async () => {
    const pod = await copy('at-once', 20);
    expect(pod.status?.phase).toBe('Succeeded');

    expect(await queue.drain()).toEqual([copySucceeded(pod, 'at-once')]);
    expect(await noticeMaps(namespace, id('at-once'))).toEqual([]);
    expect(await scheduledRun()).toEqual({ payload: summary(0) });
    expect(await queue.drain()).toEqual([]);
  });

  it('keeps a copy not waited for, and the scheduled notifier tells it once', async () => {
    const pod = await copy('later', 0);
    const target = { kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid };
    expect((await noticeMaps(namespace, id('later'))).map(asKept)).toEqual([kept(target, 'later')]);
    expect(await queue.drain()).toEqual([]);
    await until(`${pod.metadata.name} to succeed`, () => succeeded(pod.metadata.name));

    expect(await scheduledRun()).toEqual({ payload: summary(1, { CopySucceeded: 1 }) });
    expect(await queue.drain()).toEqual([copySucceeded(pod, 'later')]);
    expect(await noticeMaps(namespace, id('later'))).toEqual([]);

    expect(await scheduledRun()).toEqual({ payload: summary(0) });
    expect(await queue.drain()).toEqual([]);
  });

  it('tells a copy deleted before it was told as TargetDeleted, once the grace for slow caches has passed', async () => {
    const pod = await copy('deleted', 0);
    expect((await call('DELETE', '/service/v1/pods', { query: { tenant, name: pod.metadata.name } })).status).toBe(200);
    await until(`${pod.metadata.name} to be gone`, async () =>
      core.readNamespacedPod({ name: pod.metadata.name, namespace }).then(
        () => false,
        () => true,
      ),
    );

    // Missing from the lists, but asked for moments ago: the lists may lag, so nothing is told yet.
    expect(await scheduledRun()).toEqual({ payload: summary(1) });
    expect(await queue.drain()).toEqual([]);

    const later = Date.now() + 31_000;
    expect(await notifierRun({ now: () => later })).toEqual(summary(1, { TargetDeleted: 1 }));
    expect(await queue.drain()).toEqual([
      expect.objectContaining({
        'detail-type': 'TargetDeleted',
        detail: {
          eventId: `${pod.metadata.uid}/TargetDeleted`,
          tenant,
          namespace,
          kind: 'Pod',
          name: pod.metadata.name,
          uid: pod.metadata.uid,
          correlationId: id('deleted'),
          requestedAt: timestamp,
          observedAt: new Date(later).toISOString(),
          reason: {
            phase: 'Deleted',
            reason: 'Deleted',
            message: `Pod ${pod.metadata.name} was deleted before it reached an end`,
          },
        },
      }),
    ]);
    expect(await noticeMaps(namespace, id('deleted'))).toEqual([]);
  });

  it('a run killed between publishing and settling leaves one duplicate, with the same eventId, after the lease', async () => {
    const pod = await copy('killed', 0);
    await until(`${pod.metadata.name} to succeed`, () => succeeded(pod.metadata.name));
    // EventBridge takes the event; the run dies before it settles the notice (Lambda's timeout, a crash).
    const dies = (real: Publisher): Publisher => ({
      async publish(events: OutgoingEvent[]) {
        await real.publish(events);
        throw new Error('the run was killed');
      },
    });

    // (This run goes on to its end and fails, counting the namespace as not read; a killed one would just stop.)
    await expect(notifierRun({ publisher: dies })).rejects.toThrow(
      '0 notice(s) could not be published and 1 namespace(s) not read; the next run tries them again.',
    );
    const [first, ...more] = await queue.drain();
    expect([first, more]).toEqual([copySucceeded(pod, 'killed'), []]);
    const [claimed] = await noticeMaps(namespace, id('killed'));
    expect(claimed?.data).toEqual({
      ...kept({ kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid }, 'killed').data,
      publishing: 'CopySucceeded',
      since: timestamp,
    });

    // Within the lease the claim is the dead run's: a scheduled run passes it by.
    expect(await scheduledRun()).toEqual({ payload: summary(1) });
    expect(await queue.drain()).toEqual([]);

    // After it, the next run tells it again: the one duplicate, which a consumer drops by its eventId.
    const since = Date.parse(claimed!.data!.since!);
    expect(await notifierRun({ now: () => since + (leaseSeconds + 1) * 1000 })).toEqual(
      summary(1, { CopySucceeded: 1 }),
    );
    const [again, ...others] = await queue.drain();
    expect([again, others]).toEqual([copySucceeded(pod, 'killed'), []]);
    expect(again!.detail).toEqual({ ...first!.detail, observedAt: again!.detail.observedAt });
    expect(await noticeMaps(namespace, id('killed'))).toEqual([]);
    expect(await scheduledRun()).toEqual({ payload: summary(0) });
    expect(await queue.drain()).toEqual([]);
  });

  it('a publication EventBridge refuses fails the run, and the next run publishes it', async () => {
    const pod = await copy('refused', 0);
    await until(`${pod.metadata.name} to succeed`, () => succeeded(pod.metadata.name));
    const refuses = (): Publisher => ({ publish: async (events) => events.map(() => false) });

    await expect(notifierRun({ publisher: refuses })).rejects.toThrow(
      '1 notice(s) could not be published and 0 namespace(s) not read; the next run tries them again.',
    );
    expect(await queue.drain()).toEqual([]);
    expect((await noticeMaps(namespace, id('refused'))).length).toBe(1);

    expect(await scheduledRun()).toEqual({ payload: summary(1, { CopySucceeded: 1 }) });
    expect(await queue.drain()).toEqual([copySucceeded(pod, 'refused')]);
    expect(await noticeMaps(namespace, id('refused'))).toEqual([]);
  });
});

describe('claims, bound by the real PV controller', () => {
  interface Provisioned {
    status: 'created' | 'existing';
    bound: boolean;
    volume: VolumeAnswer;
    claim: ClaimAnswer;
  }

  const student = (username: string, wait: number, what: string) =>
    call<Provisioned>('POST', '/service/v1/volumes/students', {
      body: { tenant, username, path: tenantFolder(tenant, username), wait, notify: { id: id(what) } },
    });

  /** The event that tells user's claim is Bound. */
  const claimBound = (claim: ClaimAnswer, username: string, what: string) =>
    expect.objectContaining({
      'detail-type': 'ClaimBound',
      source: 'moop.resource-service',
      detail: {
        eventId: `${claim.metadata.uid}/ClaimBound`,
        tenant,
        namespace,
        kind: 'PersistentVolumeClaim',
        name: claim.metadata.name,
        uid: claim.metadata.uid,
        correlationId: id(what),
        username,
        requestedAt: timestamp,
        observedAt: timestamp,
        reason: { phase: 'Bound', reason: 'Bound', message: `bound to volume pv-${tenant}-${username}-default` },
      },
    });

  it('publishes at once a claim the answer shows Bound', async () => {
    const username = `${prefix}bound`;
    const answer = await student(username, 20, 'bound');
    expect([answer.status, answer.body.bound]).toEqual([201, true]);

    expect(await queue.drain()).toEqual([claimBound(answer.body.claim, username, 'bound')]);
    expect(await noticeMaps(namespace, id('bound'))).toEqual([]);
  });

  it('keeps a claim answered Pending, and the notifier tells it once Bound', async () => {
    const username = `${prefix}pending`;
    const answer = await student(username, 0, 'pending');
    expect([answer.status, answer.body.bound]).toEqual([201, false]);
    const { name, uid } = answer.body.claim.metadata;
    expect((await noticeMaps(namespace, id('pending'))).map(asKept)).toEqual([
      kept({ kind: 'PersistentVolumeClaim', name, uid }, 'pending', { username }),
    ]);
    await until(
      `${name} to bind`,
      async () => (await core.readNamespacedPersistentVolumeClaim({ name, namespace })).status?.phase === 'Bound',
    );

    expect(await scheduledRun()).toEqual({ payload: summary(1, { ClaimBound: 1 }) });
    expect(await queue.drain()).toEqual([claimBound(answer.body.claim, username, 'pending')]);
    expect(await noticeMaps(namespace, id('pending'))).toEqual([]);
    expect(await scheduledRun()).toEqual({ payload: summary(0) });
    expect(await queue.drain()).toEqual([]);
  });

  it('keeps each student of a class the roster did not wait for, and the notifier tells each once Bound', async () => {
    // wait 0: the roster answers before any claim is Bound, so every student is kept (the at-once path of a claim is
    // the single student's above).
    const usernames = [`${prefix}class-1`, `${prefix}class-2`];
    const answer = await call<{ results: { username: string; status: string; bound: boolean }[] }>(
      'POST',
      '/service/v1/volumes/rosters',
      {
        body: {
          tenant,
          students: usernames.map((username) => ({ username, path: tenantFolder(tenant, username) })),
          wait: 0,
          notify: { id: id('class') },
        },
      },
    );
    expect([answer.status, answer.body.results.map((r) => [r.username, r.status, r.bound])]).toEqual([
      200,
      usernames.map((u) => [u, 'created', false]),
    ]);
    const claims = await Promise.all(
      usernames.map((username) =>
        call<ClaimAnswer>('GET', '/service/v1/volumes/pvcs', { query: { tenant, username } }).then((r) => r.body),
      ),
    );
    expect(
      (await noticeMaps(namespace, id('class')))
        .map(asKept)
        .sort((a, b) => a.data!.username!.localeCompare(b.data!.username!)),
    ).toEqual(
      claims.map((c, i) =>
        kept({ kind: 'PersistentVolumeClaim', name: c.metadata.name, uid: c.metadata.uid }, 'class', {
          username: usernames[i],
        }),
      ),
    );
    expect(await queue.drain()).toEqual([]);
    for (const c of claims) {
      await until(
        `${c.metadata.name} to bind`,
        async () =>
          (await core.readNamespacedPersistentVolumeClaim({ name: c.metadata.name, namespace })).status?.phase ===
          'Bound',
      );
    }

    expect(await scheduledRun()).toEqual({ payload: summary(2, { ClaimBound: 2 }) });
    const told = (await queue.drain()).sort((a, b) => a.detail.name.localeCompare(b.detail.name));
    expect(told).toEqual(claims.map((c, i) => claimBound(c, usernames[i]!, 'class')));
    expect(await noticeMaps(namespace, id('class'))).toEqual([]);
  });
});

describe('a bad correlation id', () => {
  const bad: [what: string, notify: unknown, error: string][] = [
    ['an empty id', { id: '' }, 'notify.id: must not be empty; notify.id: must be printable ASCII without spaces'],
    ['an id with a space', { id: 'a b' }, 'notify.id: must be printable ASCII without spaces'],
    ['an id of 129 characters', { id: 'x'.repeat(129) }, 'notify.id: must be at most 128 characters'],
    ['an id with a non-ASCII letter', { id: 'café' }, 'notify.id: must be printable ASCII without spaces'],
    ['no id', {}, 'notify.id: Invalid input: expected string, received undefined'],
    ['an unknown field', { id: 'ok', topic: 'x' }, 'notify: Unrecognized key: "topic"'],
    ['a string', 'ok', 'notify: Invalid input: expected object, received string'],
  ];
  const routes: [route: string, body: (username: string) => object][] = [
    ['/service/v1/pods', () => ({ tenant, cmd: 'true', wait: 0 })],
    ['/service/v1/volumes/students', (u) => ({ tenant, username: u, path: tenantFolder(tenant, u), wait: 0 })],
    [
      '/service/v1/volumes/rosters',
      (u) => ({ tenant, students: [{ username: u, path: tenantFolder(tenant, u) }], wait: 0 }),
    ],
  ];

  it.each(routes)('POST %s with a bad notify is a 400, and makes nothing', async (route, body) => {
    const before = await managedNames();
    const answers = [];
    for (const [what, notify] of bad) {
      const answer = await call<ErrorAnswer>('POST', route, { body: { ...body(`${prefix}bad`), notify } });
      answers.push([what, answer.status, answer.body.code, answer.body.error]);
    }

    expect(answers).toEqual(
      bad.map(([what, , error]) => [what, 400, 'INVALID_REQUEST', `Invalid request body: ${error}.`]),
    );
    expect(await managedNames()).toEqual(before);
    expect(await queue.drain()).toEqual([]);
  });
});
