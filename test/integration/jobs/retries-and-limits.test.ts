// A retried POST /pods with an Idempotency-Key makes one copy, and every answer leaves within the invocation's time:
// a wait is cut short, a slow upstream answers 504 in the contract's shape, and a read failing after the copy was made
// still answers 201 with what is known.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { Context } from 'aws-lambda';
import { createHandler as createCopy } from '../../../functions/pods/post.ts';
import { createHandler as getVolume } from '../../../functions/volumes/pvs/get.ts';
import { depsFrom } from '../../../lib/app/deps.ts';
import { loadConfig } from '../../../lib/config/config.ts';
import { httpEvent, invokeHttp, lambdaContext } from '../../../tools/lambda.ts';
import { faultyTenantIds, tenants } from '../../fixtures/tenants.ts';
import type { CopyAnswer } from '../../support/answers.ts';
import { call, moopkey } from '../../support/api.ts';
import { admin, startApiServer, stopApiServer, until } from '../../support/cluster.ts';
import { sweep } from '../../support/managed.ts';

const path = '/service/v1/pods';
const made = new Set<string>();
afterAll(() => sweep((o: KubernetesObject) => made.has(o.metadata?.name ?? '')));

const copiesWithKey = async (namespace: string, hashPrefix: string): Promise<string[]> =>
  (await admin().core.listNamespacedPod({ namespace })).items
    .filter(
      (p) =>
        p.metadata?.annotations?.['moop.io/idempotency-key']?.startsWith(hashPrefix) &&
        !p.metadata.ownerReferences?.length,
    )
    .map((p) => p.metadata!.name!);

describe('Idempotency-Key', () => {
  it('makes one copy for any number of retries, concurrent ones included, and returns it each time', async () => {
    const headers = { 'idempotency-key': `retry-${Date.now()}` };
    const body = { tenant: tenants.a.id, cmd: 'cp -r /src/* /dest/' };

    const answers = await Promise.all(
      Array.from({ length: 5 }, () => call<CopyAnswer>('POST', path, { body, headers })),
    );
    answers.push(await call<CopyAnswer>('POST', path, { body, headers }));

    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201, 201]);
    const [first] = answers;
    made.add(first!.body.metadata.name);
    expect(new Set(answers.map((a) => a.body.metadata.uid))).toEqual(new Set([first!.body.metadata.uid]));
    const hash = first!.body.metadata.annotations!['moop.io/idempotency-key']!;
    expect(await copiesWithKey('tenant-a', hash)).toEqual([first!.body.metadata.name]);
  });

  it('keeps keys apart: another key, or the same key from another tenant, makes its own copy', async () => {
    const key = `shared-${Date.now()}`;
    const mine = await call<CopyAnswer>('POST', path, {
      body: { tenant: tenants.a.id, cmd: 'true' },
      headers: { 'idempotency-key': key },
    });
    const theirs = await call<CopyAnswer>('POST', path, {
      body: { tenant: tenants.b.id, cmd: 'true' },
      headers: { 'idempotency-key': key },
    });
    const other = await call<CopyAnswer>('POST', path, {
      body: { tenant: tenants.a.id, cmd: 'true' },
      headers: { 'idempotency-key': `${key}-2` },
    });
    for (const a of [mine, theirs, other]) made.add(a.body.metadata.name);

    expect([mine.status, theirs.status, other.status]).toEqual([201, 201, 201]);
    expect(new Set([mine.body.metadata.uid, theirs.body.metadata.uid, other.body.metadata.uid]).size).toBe(3);
  });

  it('refuses the same key for a different copy with 409, making nothing new', async () => {
    const headers = { 'idempotency-key': `reused-${Date.now()}` };
    const first = await call<CopyAnswer>('POST', path, { body: { tenant: tenants.a.id, cmd: 'true' }, headers });
    made.add(first.body.metadata.name);

    const second = await call('POST', path, { body: { tenant: tenants.a.id, cmd: 'rm -rf /dest/*' }, headers });

    expect(second).toEqual({
      status: 409,
      body: {
        error: `The Idempotency-Key was first used for a different copy (${first.body.metadata.name}); send a new key for a new copy.`,
        code: 'IDEMPOTENCY_KEY_REUSED',
        details: { name: first.body.metadata.name },
      },
    });
  });

  it('refuses a key that is not printable ASCII with 400, making nothing', async () => {
    const answer = await call('POST', path, {
      body: { tenant: tenants.a.id, cmd: 'true' },
      headers: { 'idempotency-key': 'two words' },
    });
    expect(answer).toEqual({
      status: 400,
      body: {
        error: 'Invalid request headers: idempotency-key: must be printable ASCII without spaces.',
        code: 'INVALID_REQUEST',
        details: [{ field: 'idempotency-key', message: 'must be printable ASCII without spaces' }],
      },
    });
  });
});

describe("the invocation's time limit (in-process, as Lambda calls the handlers)", () => {
  const deps = depsFrom(() =>
    loadConfig({
      MOOPKEY: moopkey(),
      NAME_KEY: process.env.MOOP_TEST_NAME_KEY,
      KUBECONFIG: process.env.MOOP_TEST_SERVICE_KUBECONFIG,
      NFS_SERVER: '10.0.0.2',
      NFS_PREFIX: '/exports/moop/',
      TENANT_SERVICE_URL: process.env.MOOP_TEST_TENANT_SERVICE_URL,
      TENANT_TIMEOUT_MS: '4000',
    }),
  );
  const withRemaining = (ms: number): Context => {
    const end = Date.now() + ms;
    return { ...lambdaContext, getRemainingTimeInMillis: () => end - Date.now() };
  };
  const timed = async <T>(work: () => Promise<T>): Promise<[number, T]> => {
    const started = Date.now();
    const value = await work();
    return [Date.now() - started, value];
  };

  it('cuts a wait short so that the 201 leaves before the invocation ends', async () => {
    const event = httpEvent('POST', path, moopkey(), {
      body: { tenant: tenants.neverScheduled.id, cmd: 'true', wait: 20 },
    });

    const [ms, answer] = await timed(() => invokeHttp<CopyAnswer<V1Pod>>(createCopy(deps), event, withRemaining(5000)));

    made.add(answer.body.metadata?.name);
    expect([answer.status, answer.body.kind, answer.body.status?.phase]).toEqual([201, 'Pod', 'Pending']);
    expect(ms).toBeLessThan(5000);
  });

  it('answers 504 DEADLINE_EXCEEDED in its own shape when an upstream is slower than the time left', async () => {
    const event = httpEvent('GET', '/service/v1/volumes/pvs', moopkey(), {
      query: { tenant: faultyTenantIds.slow, username: 'x' },
    });

    const [ms, answer] = await timed(() => invokeHttp(getVolume(deps), event, withRemaining(2500)));

    expect(answer).toEqual({
      status: 504,
      body: {
        error: 'The request ran out of its time limit before the cluster or the tenant service answered; retry it.',
        code: 'DEADLINE_EXCEEDED',
      },
    });
    expect(ms).toBeLessThan(2500);
  });

  it('answers 201 with what is known when the API server goes away while it waits on a copy it made', async () => {
    const event = httpEvent('POST', path, moopkey(), {
      body: { tenant: tenants.neverScheduled.id, cmd: 'true', wait: 6 },
    });
    const namespace = 'tenant-unscheduled';
    const copies = async (): Promise<string[]> =>
      (
        await admin().core.listNamespacedPod({
          namespace,
          labelSelector: `moop.io/tenant=${tenants.neverScheduled.id}`,
        })
      ).items.map((p) => p.metadata!.name!);
    const before = new Set(await copies());
    const answer = invokeHttp<CopyAnswer<V1Pod>>(createCopy(deps), event, withRemaining(20_000));
    // The copy exists: the handler has made it and goes on to wait on it.
    await until('the copy to be made', async () => (await copies()).some((name) => !before.has(name)), 10_000);
    await stopApiServer();
    try {
      const result = await answer;
      made.add(result.body.metadata?.name);
      expect([result.status, result.body.kind, result.body.metadata.namespace]).toEqual([201, 'Pod', namespace]);
    } finally {
      await startApiServer();
    }
  });
});
