// Completion notices of class operations: a distribution's `notify` is kept (an operation just started has not ended)
// as a ConfigMap of the records namespace, and the scheduled notifier (invoked through serverless-offline) publishes
// exactly one OperationSucceeded or OperationFailed once every student has a result, with the caller's correlation id,
// kind Operation and the operation's id as its name; an operation still running is not told. Every event is read from
// a real SQS queue behind moto's EventBridge rule.
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { recordsNamespace } from '../../lib/ownership/ownership.ts';
import { tenantFolder, tenants } from '../fixtures/tenants.ts';
import type { ClaimAnswer } from '../support/answers.ts';
import { call } from '../support/api.ts';
import { admin, until } from '../support/cluster.ts';
import { sweep } from '../support/managed.ts';
import { userPrefix } from '../support/names.ts';
import { type NoticeQueue, noticeMaps, noticeQueue, scheduledRun } from '../support/notices.ts';

const prefix = userPrefix('opnotices');
const a = { tenant: tenants.a.id, namespace: tenants.a.namespace! };
const idle = { tenant: tenants.neverScheduled.id, namespace: tenants.neverScheduled.namespace! };
const { core } = admin();
const ids = new Set<string>();
const timestamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
const teacher = `${prefix}teacher`;
const students = [`${prefix}s1`, `${prefix}s2`];
const ghost = `${prefix}ghost`;
let queue: NoticeQueue;

interface Operation {
  id: string;
  state: string;
  startedAt: string;
  finishedAt?: string;
  summary: Record<string, number>;
  students: { username: string; status: string }[];
}

async function student(tenant: string, username: string): Promise<void> {
  const answer = await call<{ bound: boolean; claim: ClaimAnswer }>('POST', '/service/v1/volumes/students', {
    body: { tenant, username, path: tenantFolder(tenant, username), wait: 20 },
  });
  expect([username, answer.status, answer.body.bound]).toEqual([username, 201, true]);
}

beforeAll(async () => {
  queue = await noticeQueue();
  await Promise.all([teacher, ...students].flatMap((u) => [student(a.tenant, u), student(idle.tenant, u)]));
}, 120_000);

afterAll(async () => {
  await sweep(
    (o: KubernetesObject) =>
      JSON.stringify(o).includes(prefix) || ids.has(o.metadata?.labels?.['moop.io/operation'] ?? ''),
  );
  await queue.remove();
});

/** A correlation id of this file's. */
const correlation = (what: string): string => `${prefix}${what}`;

const distribute = async (tenant: string, names: string[], what: string): Promise<Operation> => {
  const answer = await call<Operation>('POST', '/service/v1/operations/distributions', {
    body: {
      tenant,
      source: { username: teacher, subpath: 'ds101' },
      students: names.map((username) => ({ username })),
      subpath: 'ds101',
      notify: { id: correlation(what) },
    },
  });
  expect(answer.status).toBe(202);
  ids.add(answer.body.id);
  return answer.body;
};

const read = (tenant: string, id: string) =>
  call<Operation>('GET', '/service/v1/operations', { query: { tenant, id } });

/** The uid of an operation's record: what its notice is about. */
const recordUid = async (tenant: string, id: string): Promise<string> =>
  (await core.readNamespacedConfigMap({ name: `operation-${tenant}-${id.slice(3)}`, namespace: recordsNamespace }))
    .metadata!.uid!;

/** The notice kept for an operation, as the admin reads it in the records namespace. */
const kept = (tenant: string, namespace: string, target: object, what: string) => ({
  name: expect.stringMatching(new RegExp(`^notice-${tenant}-[a-z0-9]+$`)),
  labels: {
    'app.kubernetes.io/managed-by': 'moop-resource-service',
    'moop.io/tenant': tenant,
    'moop.io/notice-for': 'Operation',
  },
  data: {
    namespace,
    target: JSON.stringify(target),
    correlationId: correlation(what),
    requestedAt: timestamp,
    told: '[]',
  },
});
const asKept = (m: V1ConfigMap) => ({ name: m.metadata?.name, labels: m.metadata?.labels, data: m.data });

/** A summary of a scheduled run that saw notices notices and published what published counts. */
const summary = (notices: number, published: Record<string, number> = {}) => ({
  payload: { namespaces: expect.any(Number), notices, published, unpublished: 0, unlisted: 0 },
});

/** The one event, as the queue receives it, that tells the operation ended. */
const told = (op: Operation, uid: string, what: string, type: string, reason: object) => ({
  version: '0',
  id: expect.any(String),
  'detail-type': type,
  source: 'moop.resource-service',
  time: timestamp,
  region: 'eu-west-1',
  resources: [],
  detail: {
    eventId: `${uid}/${type}`,
    tenant: a.tenant,
    namespace: a.namespace,
    kind: 'Operation',
    name: op.id,
    uid,
    correlationId: correlation(what),
    requestedAt: timestamp,
    observedAt: timestamp,
    finishedAt: op.finishedAt,
    reason,
  },
});

describe('notify on a distribution', () => {
  it('keeps the notice, and once every student has a result the notifier publishes one OperationFailed', async () => {
    const op = await distribute(a.tenant, students, 'failed');
    const uid = await recordUid(a.tenant, op.id);
    expect((await noticeMaps(a.namespace, correlation('failed'))).map(asKept)).toEqual([
      kept(a.tenant, a.namespace, { kind: 'Operation', name: op.id, uid }, 'failed'),
    ]);
    expect(await queue.drain()).toEqual([]);
    let done: Operation | undefined;
    await until(
      `operation ${op.id} to end`,
      async () => (done = (await read(a.tenant, op.id)).body).state !== 'Running',
    );
    // On kwok the copies end without the script's report: every student failed.
    expect([done!.state, done!.summary.failed]).toEqual(['Failed', 2]);

    expect(await scheduledRun()).toEqual(summary(1, { OperationFailed: 1 }));

    expect(await queue.drain()).toEqual([
      told(done!, uid, 'failed', 'OperationFailed', {
        phase: 'Failed',
        reason: 'StudentsFailed',
        message: '0 copied, 0 late, 0 skipped, 2 failed',
      }),
    ]);
    expect(await noticeMaps(a.namespace, correlation('failed'))).toEqual([]);
    expect(await scheduledRun()).toEqual(summary(0));
    expect(await queue.drain()).toEqual([]);
  });

  it('publishes one OperationSucceeded for an operation whose every student was skipped', async () => {
    const op = await distribute(a.tenant, [ghost], 'skipped');
    expect([op.state, op.finishedAt]).toEqual(['Succeeded', op.startedAt]);
    const uid = await recordUid(a.tenant, op.id);

    expect(await scheduledRun()).toEqual(summary(1, { OperationSucceeded: 1 }));

    expect(await queue.drain()).toEqual([
      told(op, uid, 'skipped', 'OperationSucceeded', {
        phase: 'Succeeded',
        reason: 'Completed',
        message: '0 copied, 0 late, 1 skipped, 0 failed',
      }),
    ]);
    expect(await noticeMaps(a.namespace, correlation('skipped'))).toEqual([]);
    expect(await scheduledRun()).toEqual(summary(0));
    expect(await queue.drain()).toEqual([]);
  });

  it('tells nothing of an operation whose copies are never scheduled: it stays Running, its notice kept', async () => {
    const op = await distribute(idle.tenant, students, 'running');
    const uid = await recordUid(idle.tenant, op.id);

    expect(await scheduledRun()).toEqual(summary(1));

    expect(await queue.drain()).toEqual([]);
    const now = await read(idle.tenant, op.id);
    expect([now.status, now.body.state, now.body.summary, now.body.students.map((s) => s.status)]).toEqual([
      200,
      'Running',
      { running: 2, copied: 0, late: 0, skipped: 0, failed: 0 },
      ['running', 'running'],
    ]);
    expect((await noticeMaps(idle.namespace, correlation('running'))).map(asKept)).toEqual([
      kept(idle.tenant, idle.namespace, { kind: 'Operation', name: op.id, uid }, 'running'),
    ]);
  });
});
