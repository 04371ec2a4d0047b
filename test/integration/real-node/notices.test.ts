// Completion notices of copies that really run on the local cluster's real node (kubelet, containerd, runc): a copy
// that succeeds, one that exits 3 and one whose image is not on the node each give exactly their event, with the
// caller's correlation id and the reason as the routes' statusReason gives it; the stuck one, deleted, is then told as
// TargetDeleted. Events reach a real SQS queue through moto's EventBridge. (MOOP_REAL_NODE=off skips this file.)
import type { V1Pod } from '@kubernetes/client-node';
import { tenants } from '../../fixtures/tenants.ts';
import type { CopyAnswer } from '../../support/answers.ts';
import { call } from '../../support/api.ts';
import { admin, until } from '../../support/cluster.ts';
import { sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';
import {
  type NoticeQueue,
  noticeMaps,
  noticeQueue,
  noticesOf,
  notifierRun,
  scheduledRun,
} from '../../support/notices.ts';

const onNode = process.env.MOOP_REAL_NODE === 'off' ? describe.skip : describe;
const prefix = userPrefix('real-notices');
const { core } = admin();
const copies = new Set<string>();
const timestamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
const missingImage = 'registry.mooplab.com:8443/gitbox/alpine-git:lastest';
let queue: NoticeQueue;

afterAll(async () => {
  await sweep((o) => copies.has(o.metadata?.name ?? '') || noticesOf(prefix)(o));
  await queue?.remove();
});

const id = (what: string): string => `${prefix}${what}`;

/** A copy of tenant (a bare Pod on the real node, in namespace), asking to be told under correlation id what. */
async function copy(
  tenant: string,
  namespace: string,
  cmd: string,
  wait: number,
  what: string,
): Promise<CopyAnswer<V1Pod>> {
  const answer = await call<CopyAnswer<V1Pod>>('POST', '/service/v1/pods', {
    body: { tenant, cmd, wait, notify: { id: id(what) } },
  });
  expect([answer.status, answer.body.kind, answer.body.metadata.namespace]).toEqual([201, 'Pod', namespace]);
  copies.add(answer.body.metadata.name);
  return answer.body;
}

/** The event the queue receives for pod, of tenant, told type with why. */
const event = (type: string, tenant: string, pod: V1Pod, what: string, told: object) => ({
  version: '0',
  id: expect.any(String),
  'detail-type': type,
  source: 'moop.resource-service',
  time: timestamp,
  region: 'eu-west-1',
  resources: [],
  detail: {
    eventId: `${pod.metadata!.uid}/${type}`,
    tenant,
    namespace: pod.metadata!.namespace,
    kind: 'Pod',
    name: pod.metadata!.name,
    uid: pod.metadata!.uid,
    correlationId: id(what),
    requestedAt: timestamp,
    observedAt: timestamp,
    ...told,
  },
});

const summary = (notices: number, published: Record<string, number> = {}) => ({
  namespaces: expect.any(Number),
  notices,
  published,
  unpublished: 0,
  unlisted: 0,
});

onNode('completion notices of copies on the real node', () => {
  beforeAll(async () => {
    queue = await noticeQueue();
  });

  it('a copy that succeeds, not waited for, is told CopySucceeded by the notifier, once', async () => {
    const namespace = tenants.realPod.namespace!;
    const pod = await copy(tenants.realPod.id, namespace, 'echo copied', 0, 'succeeds');
    const { name } = pod.metadata;
    // A container's first start on a busy two-core machine has taken over 40 s (its image unpacked, its sandbox made).
    await until(
      `${name} to succeed on the node`,
      async () => (await core.readNamespacedPod({ name, namespace })).status?.phase === 'Succeeded',
      120_000,
    );
    expect(await queue.drain()).toEqual([]);

    expect(await scheduledRun()).toEqual({ payload: summary(1, { CopySucceeded: 1 }) });
    expect(await queue.drain()).toEqual([
      event('CopySucceeded', tenants.realPod.id, pod, 'succeeds', {
        finishedAt: timestamp,
        reason: { phase: 'Succeeded', reason: 'Completed', message: `Pod ${name} finished` },
      }),
    ]);
    expect(await scheduledRun()).toEqual({ payload: summary(0) });
    expect(await queue.drain()).toEqual([]);
  }, 180_000);

  it('a copy that exits 3, its wait seeing it fail, is published at once as CopyFailed with its statusReason', async () => {
    const namespace = tenants.realPod.namespace!;
    const pod = await copy(tenants.realPod.id, namespace, 'echo copying; exit 3', 20, 'exits');
    expect([pod.status?.phase, pod.statusReason]).toEqual([
      'Failed',
      { phase: 'Failed', reason: 'Error', message: 'container copy exited with code 3', lastSeen: timestamp },
    ]);

    expect(await queue.drain()).toEqual([
      event('CopyFailed', tenants.realPod.id, pod, 'exits', { finishedAt: timestamp, reason: pod.statusReason }),
    ]);
    expect(await noticeMaps(namespace, id('exits'))).toEqual([]);
    expect(await scheduledRun()).toEqual({ payload: summary(0) });
    expect(await queue.drain()).toEqual([]);
  });

  it('a copy whose image is not on the node is told CopyStuck once; deleted, it is told TargetDeleted', async () => {
    const [tenant, namespace] = [tenants.realMissingImage.id, tenants.realMissingImage.namespace!];
    const pod = await copy(tenant, namespace, 'true', 20, 'stuck');
    const { name, uid } = pod.metadata;
    const pulling = {
      phase: 'Pending',
      reason: expect.stringMatching(/^(ErrImagePull|ImagePullBackOff)$/),
      message: expect.stringContaining(missingImage),
    };
    expect(pod.statusReason).toEqual(pulling);
    // Stuck is no end: the answer publishes nothing, and the notice is kept.
    expect(await queue.drain()).toEqual([]);

    expect(await scheduledRun()).toEqual({ payload: summary(1, { CopyStuck: 1 }) });
    expect(await queue.drain()).toEqual([event('CopyStuck', tenant, pod, 'stuck', { reason: pulling })]);
    const [watched] = await noticeMaps(namespace, id('stuck'));
    expect(watched?.data).toEqual({
      namespace,
      target: JSON.stringify({ kind: 'Pod', name, uid }),
      correlationId: id('stuck'),
      requestedAt: timestamp,
      told: '["CopyStuck"]',
    });
    expect(await scheduledRun()).toEqual({ payload: summary(1) });
    expect(await queue.drain()).toEqual([]);

    expect((await call('DELETE', '/service/v1/pods', { query: { tenant, name } })).status).toBe(200);
    await until(`${name} to be gone`, () =>
      core.readNamespacedPod({ name, namespace }).then(
        () => false,
        () => true,
      ),
    );
    // Past the grace a missing target is given (the lists may lag behind a deletion just made).
    const later = Date.now() + 31_000;
    expect(await notifierRun({ now: () => later })).toEqual(summary(1, { TargetDeleted: 1 }));
    expect(await queue.drain()).toEqual([
      event('TargetDeleted', tenant, pod, 'stuck', {
        observedAt: new Date(later).toISOString(),
        reason: { phase: 'Deleted', reason: 'Deleted', message: `Pod ${name} was deleted before it reached an end` },
      }),
    ]);
    expect(await noticeMaps(namespace, id('stuck'))).toEqual([]);
    expect(await scheduledRun()).toEqual({ payload: summary(0) });
    expect(await queue.drain()).toEqual([]);
  });
});
