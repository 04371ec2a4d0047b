// /service/v1/volumes/rosters and /rosters/removals through serverless-offline against the local control plane: a
// class of 200 made and bound by the real PV controller, with names others hold, bad usernames, a quota that runs out,
// the API server stopped mid-request and an Idempotency-Key; then the end of term. The tenant is one whose copies are
// never scheduled: kwok finishes any other copy at once, and the end of term must meet a copy still mounting a claim.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesObject, V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { recordsNamespace } from '../../../lib/ownership/ownership.ts';
import { tenantFolder, tenants } from '../../fixtures/tenants.ts';
import type { CopyAnswer } from '../../support/answers.ts';
import { call } from '../../support/api.ts';
import { admin, eventually, startApiServer, statusOfCall, stopApiServer, until } from '../../support/cluster.ts';
import { byUserPrefix, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const rosters = '/service/v1/volumes/rosters';
const removals = '/service/v1/volumes/rosters/removals';
const prefix = userPrefix('rosters');
const tenant = tenants.neverScheduled.id;
const namespace = tenants.neverScheduled.namespace!;
const { core } = admin();
const managed = `app.kubernetes.io/managed-by=moop-resource-service,moop.io/tenant=${tenant}`;
const outcomes = `${managed},moop.io/outcome-of`;
const quotaName = `${prefix}claims`;
const copies: string[] = [];
const foreignVolumes: string[] = [];
const foreignClaims: string[] = [];

afterAll(async () => {
  for (const name of copies) await call('DELETE', '/service/v1/pods', { query: { tenant, name } });
  await core.deleteNamespacedResourceQuota({ name: quotaName, namespace }).catch(() => undefined);
  for (const name of foreignClaims)
    await core.deleteNamespacedPersistentVolumeClaim({ name, namespace }).catch(() => undefined);
  for (const name of foreignVolumes) await core.deletePersistentVolume({ name }).catch(() => undefined);
  // The outcomes kept for this file's Idempotency-Keys, in the records namespace: sweep knows only volumes, claims and
  // copies.
  await core.deleteCollectionNamespacedConfigMap({ namespace: recordsNamespace, labelSelector: outcomes });
  await sweep(byUserPrefix(prefix));
});

interface Result {
  username: string;
  tag: string;
  status: string;
  httpStatus: number;
  code?: string;
  message?: string;
  volume?: string | null;
  claim?: string | null;
  bound?: boolean;
}
interface Outcome {
  summary: Record<'created' | 'existing' | 'failed' | 'notAttempted', number>;
  results: Result[];
}

const volumeName = (user: string) => `pv-${tenant}-${user}-default`;
const claimName = (user: string) => `pvc-${tenant}-${user}-default`;
const users = (group: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${group}${i}`);
const entry = (username: string) => ({ username, path: tenantFolder(tenant, username) });
const key = () => `roster-${randomBytes(8).toString('hex')}`;
const log = (line: string) => void process.stderr.write(`[rosters] ${line}\n`);

const made = (username: string, status: 'created' | 'existing', bound: unknown = true): Result => ({
  username,
  tag: 'default',
  status,
  httpStatus: status === 'created' ? 201 : 200,
  volume: volumeName(username),
  claim: claimName(username),
  bound: bound as boolean,
});
const failed = (username: string, httpStatus: number, code: string, message: unknown): Result => ({
  username,
  tag: 'default',
  status: 'failed',
  httpStatus,
  code,
  message: message as string,
});
const quotaRefused = (username: string) =>
  failed(
    username,
    409,
    'QUOTA_EXCEEDED',
    expect.stringMatching(new RegExp(`^The tenant's namespace has used up a quota: .*exceeded quota: ${quotaName}`)),
  );

/** This file's volumes and claims, as the cluster holds them. */
async function inCluster(group = ''): Promise<{ volumes: V1PersistentVolume[]; claims: V1PersistentVolumeClaim[] }> {
  const ours = (o: KubernetesObject) => (o.metadata?.annotations?.['moop.io/user'] ?? '').startsWith(prefix + group);
  const [volumes, claims] = await Promise.all([
    core.listPersistentVolume({ labelSelector: managed }),
    core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector: managed }),
  ]);
  return { volumes: volumes.items.filter(ours), claims: claims.items.filter(ours) };
}

/** "name@resourceVersion" of each of this file's volumes and claims: what changes when anything is made or changed. */
async function versions(): Promise<string[]> {
  const { volumes, claims } = await inCluster();
  return [...volumes, ...claims].map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).sort();
}

/** Every claim of users is Bound to the user's own volume, as the PV controller left it. */
async function expectBound(names: string[]): Promise<void> {
  const { claims } = await inCluster();
  const byName = new Map(claims.map((c) => [c.metadata!.name!, c]));
  const seen = names.map((u) => {
    const c = byName.get(claimName(u));
    return [u, c?.status?.phase, c?.spec?.volumeName];
  });
  expect(seen).toEqual(names.map((u) => [u, 'Bound', volumeName(u)]));
}

/**
 * Returns as soon as n of these students' claims exist: a class is made within a second or so, so this polls the few
 * first in roster order by their label, a small list, every few milliseconds.
 */
async function firstMade(first: string[], n: number): Promise<void> {
  const labelSelector = `${managed},moop.io/user in (${first.join(',')})`;
  const deadline = Date.now() + 20_000;
  while ((await core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector })).items.length < n) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} of ${first.join(', ')} to be made`);
    await sleep(5);
  }
}

/** The tenant's outcomes, kept in the records namespace: none is ever in the tenant's own. */
const outcomeConfigMaps = async () => {
  expect((await core.listNamespacedConfigMap({ namespace, labelSelector: outcomes })).items).toEqual([]);
  const { items } = await core.listNamespacedConfigMap({ namespace: recordsNamespace, labelSelector: outcomes });
  return items.map((c) => c.metadata!.name!);
};

// The class of the first tests: most students fine; three whose volume's name and three whose claim's name others
// hold (unmarked objects an admin made); two bad usernames; one listed twice.
const fine = users('s', 191);
const volumeTaken = users('pvtaken', 3);
const claimTaken = users('pvctaken', 3);
const invalid = ['../x', ' bad'];
const classRoster = [
  ...fine.slice(0, 100).map(entry),
  ...volumeTaken.map(entry),
  // A valid path: only the username is wrong.
  ...invalid.map((username) => ({ username, path: tenantFolder(tenant, 'x') })),
  ...claimTaken.map(entry),
  entry(fine[0]!),
  ...fine.slice(100).map(entry),
];
const classKey = key();
const classBody = { tenant, students: classRoster, wait: 25 };
let classOutcome: Outcome;

const invalidMessages: Record<string, string> = {
  '../x':
    'username: must start with a letter or digit and hold only letters, digits, spaces and . _ @ + -; username: must not contain ".."',
  ' bad':
    'username: must start with a letter or digit and hold only letters, digits, spaces and . _ @ + -; username: must not start or end with a space',
};
const classResults = (status: 'created' | 'existing', bound: unknown = true): Result[] => [
  ...fine.slice(0, 100).map((u) => made(u, status, bound)),
  ...volumeTaken.map((u) =>
    failed(
      u,
      409,
      'NAME_TAKEN',
      `The name ${volumeName(u)} is already used by an object of another tenant, user or tag; nothing was changed.`,
    ),
  ),
  ...invalid.map((u) => failed(u, 400, 'INVALID_REQUEST', invalidMessages[u])),
  ...claimTaken.map((u) =>
    failed(
      u,
      409,
      'NAME_TAKEN',
      `The claim ${claimName(u)} this volume would be reserved for is another tenant's, user's or tag's; nothing was made.`,
    ),
  ),
  failed(fine[0]!, 400, 'INVALID_REQUEST', `${fine[0]} (tag default) is listed twice; the first entry counts.`),
  ...fine.slice(100).map((u) => made(u, status, bound)),
];

/**
 * What the service could have changed of the objects others hold under a student's name: each one's uid, labels, spec
 * and whether it is being deleted (not its resourceVersion: the PV controller notes a Pending claim in its own time).
 */
const foreignState = async () =>
  (
    await Promise.all([
      ...foreignVolumes.map((name) => core.readPersistentVolume({ name })),
      ...foreignClaims.map((name) => core.readNamespacedPersistentVolumeClaim({ name, namespace })),
    ])
  ).map((o) => [o.metadata?.name, o.metadata?.uid, o.metadata?.labels, o.metadata?.deletionTimestamp, o.spec]);

describe('POST /service/v1/volumes/rosters', () => {
  beforeAll(async () => {
    for (const u of volumeTaken) {
      foreignVolumes.push(volumeName(u));
      await core.createPersistentVolume({
        body: {
          metadata: { name: volumeName(u) },
          spec: {
            accessModes: ['ReadWriteMany'],
            capacity: { storage: '1Mi' },
            // No claim binds it: a class nobody asks for (the foreign claims below ask for another, or the PV
            // controller would bind them to these in its own time).
            storageClassName: 'nobody-asks-for-this-class',
            nfs: { server: '10.0.0.9', path: '/elsewhere' },
          },
        },
      });
    }
    for (const u of claimTaken) {
      foreignClaims.push(claimName(u));
      await core.createNamespacedPersistentVolumeClaim({
        namespace,
        body: {
          metadata: { name: claimName(u) },
          spec: {
            accessModes: ['ReadWriteMany'],
            storageClassName: 'no-such-class',
            resources: { requests: { storage: '1Mi' } },
          },
        },
      });
    }
  });

  it("makes a class of 200, each student alone: others' names, bad usernames and a repeat fail, the rest are made", async () => {
    const foreignBefore = await foreignState();
    const started = Date.now();

    const answer = await call<Outcome>('POST', rosters, {
      body: classBody,
      headers: { 'idempotency-key': classKey },
    });

    const boundNow = answer.body.results.filter((r) => r.bound).map((r) => r.username);
    log(`a class of ${classRoster.length} answered in ${Date.now() - started} ms, ${boundNow.length} bound`);
    // The PV controller binds a few claims a second (the local controller manager's default client rate): what it has
    // not reached within the wait is answered unbound, and bound by the resend below.
    expect(answer).toEqual({
      status: 200,
      body: {
        summary: { created: 191, existing: 0, failed: 9, notAttempted: 0 },
        results: classResults('created', expect.any(Boolean)),
      },
    });
    classOutcome = answer.body;
    await expectBound(boundNow);
    const { volumes, claims } = await inCluster();
    expect([volumes.length, claims.length]).toEqual([191, 191]);
    expect(await foreignState()).toEqual(foreignBefore);
    expect(await outcomeConfigMaps()).toEqual([expect.stringMatching(new RegExp(`^outcome-${tenant}-[a-z2-7]+$`))]);
  });

  it('answers the class resent as existing, every claim bound once the PV controller has bound it', async () => {
    const started = Date.now();

    const settled = await eventually(
      'a resend to find every claim of the class Bound',
      async () => {
        const again = await call<Outcome>('POST', rosters, { body: { tenant, students: classRoster, wait: 25 } });
        return again.body.results.every((r) => r.status !== 'existing' || r.bound) ? again : undefined;
      },
      120_000,
    );

    log(`the class was bound ${Date.now() - started} ms after its answer`);
    expect(settled).toEqual({
      status: 200,
      body: { summary: { created: 0, existing: 191, failed: 9, notAttempted: 0 }, results: classResults('existing') },
    });
    await expectBound(fine);
    const { volumes } = await inCluster();
    const bindings = volumes.map((v) => Date.parse(v.status?.lastPhaseTransitionTime as unknown as string) / 1000);
    log(`volumes bound over ${Math.max(...bindings) - Math.min(...bindings)} s`);
  });

  it('answers a retry with the same Idempotency-Key with the first outcome, making and changing nothing', async () => {
    const before = await versions();
    const kept = await outcomeConfigMaps();

    const retry = await call<Outcome>('POST', rosters, {
      body: classBody,
      headers: { 'idempotency-key': classKey },
    });

    // The first outcome itself: "created" again, where a resend without the key answered "existing".
    expect(retry).toEqual({ status: 200, body: classOutcome });
    expect(await versions()).toEqual(before);
    expect(await outcomeConfigMaps()).toEqual(kept);
  });

  it('refuses the same Idempotency-Key with another roster (409 IDEMPOTENCY_KEY_REUSED), making nothing', async () => {
    const before = await versions();

    const reused = await call('POST', rosters, {
      body: { ...classBody, students: [...classRoster.slice(0, -1), entry(`${prefix}newcomer`)] },
      headers: { 'idempotency-key': classKey },
    });

    expect(reused).toEqual({
      status: 409,
      body: {
        error: 'This Idempotency-Key was used for a different request; use a new key for a new request.',
        code: 'IDEMPOTENCY_KEY_REUSED',
      },
    });
    expect(await versions()).toEqual(before);
  });

  it("fails the students past the namespace's claim quota with QUOTA_EXCEEDED, leaving none of their volumes", async () => {
    const group = users('q', 30);
    const allowed = 10;
    const used = (await core.listNamespacedPersistentVolumeClaim({ namespace })).items.length;
    await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: quotaName }, spec: { hard: { persistentvolumeclaims: String(used + allowed) } } },
    });
    let answer: Awaited<ReturnType<typeof call<Outcome>>>;
    try {
      // The API server refuses every claim while the quota controller has not yet counted what is there.
      await until(
        'the quota to be counted',
        async () =>
          (await core.readNamespacedResourceQuota({ name: quotaName, namespace })).status?.used
            ?.persistentvolumeclaims === String(used),
      );
      answer = await call<Outcome>('POST', rosters, { body: { tenant, students: group.map(entry), wait: 15 } });
    } finally {
      await core.deleteNamespacedResourceQuota({ name: quotaName, namespace });
    }

    const { summary, results } = answer.body;
    // The quota controller recounts the namespace as the claims bind, from its own slightly late view of it, so
    // Kubernetes may admit a claim or two past the limit: the answer must say which students were made.
    const admitted = summary.created;
    expect(answer).toEqual({
      status: 200,
      body: {
        summary: { created: admitted, existing: 0, failed: group.length - admitted, notAttempted: 0 },
        results: group.map((u, i) => (results[i]?.status === 'created' ? made(u, 'created') : quotaRefused(u))),
      },
    });
    expect(admitted).toBeGreaterThanOrEqual(allowed);
    // Eight at a time in roster order: those who start once the quota is full, the tail of the class, are refused.
    expect(results.slice(20).map((r) => r.code)).toEqual(Array(10).fill('QUOTA_EXCEEDED'));
    const createdUsers = results.filter((r) => r.status === 'created').map((r) => r.username);
    await expectBound(createdUsers);
    // What a refused student's call made, it removed: the volumes left are the made students', each with its claim.
    await until('the refused students’ volumes to be gone', async () => {
      return (await inCluster('q')).volumes.length === admitted;
    });
    const { volumes, claims } = await inCluster('q');
    const claimed = new Set(claims.map((c) => c.metadata!.name!));
    expect(volumes.map((v) => [v.metadata?.name, claimed.has(v.spec?.claimRef?.name ?? '')]).sort()).toEqual(
      createdUsers.map((u) => [volumeName(u), true]).sort(),
    );
    expect(claims.length).toBe(admitted);
  });

  it('answers per student while the API server is stopped mid-roster, and a resend completes the class', async () => {
    const group = users('o', 100);
    const body = { tenant, students: group.map(entry), wait: 25 };
    const started = Date.now();

    const sent = call<Outcome>('POST', rosters, { body });
    let answer: Awaited<typeof sent>;
    try {
      await firstMade(group.slice(0, 5), 3);
      await stopApiServer();
      log(`API server stopped ${Date.now() - started} ms in`);
      answer = await sent;
    } finally {
      await startApiServer();
    }
    log(`answered ${Date.now() - started} ms in: ${JSON.stringify(answer.body.summary)}`);

    const { summary, results } = answer.body;
    const outage = (r: Result): Result =>
      r.status === 'not_attempted'
        ? { ...failed(r.username, 504, 'DEADLINE_EXCEEDED', expect.any(String)), status: 'not_attempted' }
        : failed(
            r.username,
            [503, 504].includes(r.httpStatus) ? r.httpStatus : Number.NaN,
            expect.stringMatching(
              /^(KUBERNETES_UNAVAILABLE|KUBERNETES_TIMEOUT|DEADLINE_EXCEEDED)$/,
            ) as unknown as string,
            expect.any(String),
          );
    expect(answer).toEqual({
      status: 200,
      body: {
        summary: { created: summary.created, existing: 0, failed: summary.failed, notAttempted: summary.notAttempted },
        results: group.map((u, i) =>
          results[i]?.status === 'created' ? made(u, 'created', expect.any(Boolean)) : outage(results[i]!),
        ),
      },
    });
    // Stopped in the middle: some made, some not.
    expect(summary.created).toBeGreaterThan(0);
    expect(summary.failed + summary.notAttempted).toBeGreaterThan(0);

    await until(
      'the service to reach the API server again',
      async () => (await call('GET', '/service/v1/health')).status === 200,
      60_000,
    );
    // What the stopped request made of each student: both objects are answered as existing, anything less completed.
    const { volumes, claims } = await inCluster('o');
    const hasVolume = new Set(volumes.map((v) => v.metadata!.name!));
    const hasClaim = new Set(claims.map((c) => c.metadata!.name!));
    const whole = (u: string) => hasVolume.has(volumeName(u)) && hasClaim.has(claimName(u));
    const existing = group.filter(whole).length;

    const resent = await call<Outcome>('POST', rosters, { body });

    expect(resent).toEqual({
      status: 200,
      body: {
        summary: { created: group.length - existing, existing, failed: 0, notAttempted: 0 },
        results: group.map((u) => made(u, whole(u) ? 'existing' : 'created', expect.any(Boolean))),
      },
    });
    expect(existing).toBeGreaterThanOrEqual(summary.created);
    const settled = await eventually(
      'a resend to find every claim of the class Bound',
      async () => {
        const again = await call<Outcome>('POST', rosters, { body });
        return again.body.results.every((r) => r.bound) ? again : undefined;
      },
      90_000,
    );
    log(`the class was whole and bound ${Date.now() - started} ms in`);
    expect(settled).toEqual({
      status: 200,
      body: {
        summary: { created: 0, existing: group.length, failed: 0, notAttempted: 0 },
        results: group.map((u) => made(u, 'existing')),
      },
    });
    await expectBound(group);
    const after = await inCluster('o');
    expect([after.volumes.length, after.claims.length]).toEqual([group.length, group.length]);
  });
});

describe('POST /service/v1/volumes/rosters/removals', () => {
  it('removes the class at the end of term but the student whose claim a copy still mounts (409), then forced', async () => {
    const { claims } = await inCluster();
    const everyone = [...classRoster.map((s) => s.username), ...users('q', 30), ...users('o', 100)];
    const hasClaim = new Set(claims.map((c) => c.metadata!.annotations!['moop.io/user']!));
    const mounted = fine[1]!;
    const copy = await call<CopyAnswer>('POST', '/service/v1/pods', {
      body: { tenant, cmd: 'ls /home', vols: [{ pvc: claimName(mounted), mount: '/home', subpath: '' }] },
    });
    expect(copy.status).toBe(201);
    copies.push(copy.body.metadata.name);
    const started = Date.now();

    const answer = await call<Outcome>('POST', removals, {
      body: { tenant, students: everyone.map((username) => ({ username })) },
    });

    log(`removal of ${everyone.length} answered in ${Date.now() - started} ms`);
    const absent = (u: string): Result => ({
      ...failed(u, 404, 'OBJECT_NOT_FOUND', `No volume or claim for tenant ${tenant}, user ${u}, tag default.`),
      status: 'absent',
    });
    const removed = (u: string): Result => ({
      username: u,
      tag: 'default',
      status: 'removed',
      httpStatus: 200,
      claim: claimName(u),
      volume: volumeName(u),
    });
    const seen = new Set<string>();
    const expected = everyone.map((u) => {
      const again = seen.has(u);
      seen.add(u);
      if (invalid.includes(u)) return failed(u, 400, 'INVALID_REQUEST', invalidMessages[u]);
      if (again)
        return failed(u, 400, 'INVALID_REQUEST', `${u} (tag default) is listed twice; the first entry counts.`);
      if (u === mounted)
        return failed(
          u,
          409,
          'CLAIM_IN_USE',
          `Claim ${claimName(u)} is still mounted by pod(s) ${copy.body.metadata.name}; delete them first or pass force=true.`,
        );
      return hasClaim.has(u) ? removed(u) : absent(u);
    });
    const count = (status: string) => expected.filter((r) => r.status === status).length;
    expect(answer).toEqual({
      status: 200,
      body: {
        summary: { removed: count('removed'), absent: count('absent'), failed: count('failed'), notAttempted: 0 },
        results: expected,
      },
    });
    expect(count('removed')).toBe(hasClaim.size - 1);
    await until(
      'the removed students’ claims and volumes to be gone',
      async () => {
        const left = await inCluster();
        return left.claims.length === 1 && left.volumes.length === 1;
      },
      90_000,
    );
    log(`the class was gone ${Date.now() - started} ms after the removal was sent`);
    expect(await statusOfCall(core.readNamespacedPersistentVolumeClaim({ name: claimName(mounted), namespace }))).toBe(
      'ok',
    );

    const forced = await call<Outcome>('POST', removals, {
      body: { tenant, students: [{ username: mounted }], force: true },
    });

    expect(forced).toEqual({
      status: 200,
      body: { summary: { removed: 1, absent: 0, failed: 0, notAttempted: 0 }, results: [removed(mounted)] },
    });
    // Kubernetes' protection finalizers keep the claim until the copy lets it go.
    expect((await call('DELETE', '/service/v1/pods', { query: { tenant, name: copies.pop()! } })).status).toBe(200);
    await until('the last claim and volume to be gone once no copy mounts the claim', async () => {
      const left = await inCluster();
      return left.claims.length === 0 && left.volumes.length === 0;
    });
  });
});
