// /service/v1/operations (distributions, collections, and an operation read back) through serverless-offline against
// the local cluster: students made with /service/v1/volumes/students, their match claims Bound by the real PV
// controller; the copies run on kwok, which ends their containers without the script's report, so every student
// planned ends failed (COPY_ENDED): the results are read from the copies, never guessed. What the copies hold is read
// with the admin's eyes: one container per student, the constant script, the caller's names only as data.
import type { KubernetesObject, V1Container, V1Job, V1Pod } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { copyScript } from '../../lib/operations/script.ts';
import { recordsNamespace } from '../../lib/ownership/ownership.ts';
import { tenantFolder, tenants } from '../fixtures/tenants.ts';
import type { ClaimAnswer } from '../support/answers.ts';
import { call } from '../support/api.ts';
import { admin, until } from '../support/cluster.ts';
import { managedNames, sweep } from '../support/managed.ts';
import { userPrefix } from '../support/names.ts';

const prefix = userPrefix('operations');
const a = { tenant: tenants.a.id, namespace: tenants.a.namespace! };
const b = { tenant: tenants.b.id, namespace: tenants.b.namespace! };
const { core, batch } = admin();
const ids = new Set<string>();
const timestamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
const copyName = (tenant: string) => expect.stringMatching(new RegExp(`^job-${tenant}-[0-9a-z]{8}$`));
const images = { a: 'registry.mooplab.com:8443/gitbox/alpine-git:lastest', b: 'busybox:1.28.4' };
const marks = (tenant: string, id: string) => ({
  'app.kubernetes.io/managed-by': 'moop-resource-service',
  'moop.io/tenant': tenant,
  'moop.io/operation': id,
});

interface Student {
  username: string;
  tag: string;
  status: string;
  copy?: string;
  reason?: { code: string; message: string };
}
interface Operation {
  id: string;
  kind: string;
  state: string;
  startedAt: string;
  finishedAt?: string;
  summary: Record<string, number>;
  copies: { name: string; kind: string; students: number }[];
  students: Student[];
}

/** This file's users (17 with a claim each, in tenant a, one of them with a space and an accent in her name). */
const user = (name: string) => `${prefix}${name}`;
const classA = [...Array.from({ length: 16 }, (_, i) => user(`s${String(i + 1).padStart(2, '0')}`)), user('Élodie M.')];
const classB = [user('b1'), user('b2'), user('b3')];
const teacher = user('teacher');
const pending = user('pending');
const ghost = user('ghost');
const superUser = user('super');
/** Claim names by "tenant/username", as the students route answered them. */
const claims = new Map<string, string>();
const claimOf = (tenant: string, username: string) => claims.get(`${tenant}/${username}`)!;
let folders = 0;

/** A student's volume and match claim, made and Bound through the route; the claim's name kept. */
async function student(tenant: string, username: string, tag = 'default'): Promise<void> {
  const answer = await call<{ bound: boolean; claim: ClaimAnswer }>('POST', '/service/v1/volumes/students', {
    body: { tenant, username, tag, path: tenantFolder(tenant, `${prefix}f${++folders}`), wait: 20 },
  });
  expect([username, answer.status, answer.body.bound]).toEqual([username, 201, true]);
  claims.set(`${tenant}/${username}`, answer.body.claim.metadata.name);
}

beforeAll(async () => {
  const limit = pLimit(6);
  await Promise.all([
    ...[teacher, ...classA].map((u) => limit(() => student(a.tenant, u))),
    limit(() => student(a.tenant, superUser, a.namespace)),
    ...[teacher, ...classB].map((u) => limit(() => student(b.tenant, u))),
  ]);
  // A match claim that finds no volume: Pending for good.
  const claim = await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', {
    body: { tenant: a.tenant, username: pending, match: true },
  });
  expect([claim.status, claim.body.status?.phase]).toEqual([201, 'Pending']);
  claims.set(`${a.tenant}/${pending}`, claim.body.metadata.name);
}, 240_000);

afterAll(async () => {
  // Volumes, claims, copies (labelled with the operation), and the records, outcomes and notices in moop-records (each
  // names this file's users or operations).
  const ours = (o: KubernetesObject) =>
    JSON.stringify(o).includes(prefix) || ids.has(o.metadata?.labels?.['moop.io/operation'] ?? '');
  await sweep(ours);
});

const post = (route: 'distributions' | 'collections', body: object, headers?: Record<string, string>) =>
  call<Operation>('POST', `/service/v1/operations/${route}`, { body, ...(headers ? { headers } : {}) }).then((r) => {
    if (r.status === 202) ids.add(r.body.id);
    return r;
  });
const read = (tenant: string, id: string) =>
  call<Operation>('GET', '/service/v1/operations', { query: { tenant, id } });
const roster = (names: string[]) => names.map((username) => ({ username, tag: 'default' }));
const distribution = (tenant: string, names: string[], extra: object = {}) => ({
  tenant,
  source: { username: teacher, tag: 'default', subpath: 'ds101' },
  students: roster(names),
  subpath: 'ds101',
  ...extra,
});

/** The operation once every student has a result (GET, polled). */
async function ended(tenant: string, id: string): Promise<Operation> {
  let last: Operation | undefined;
  await until(`operation ${id} to end`, async () => {
    const answer = await read(tenant, id);
    expect(answer.status).toBe(200);
    last = answer.body;
    return last.state !== 'Running';
  });
  return last!;
}

/** The bare Pods of an operation, in the order of its answer's copies. */
async function podsOf(namespace: string, op: Operation): Promise<V1Pod[]> {
  const { items } = await core.listNamespacedPod({ namespace, labelSelector: `moop.io/operation=${op.id}` });
  return op.copies.map((c) => items.find((p) => p.metadata?.name === c.name)!);
}

/** When the last of these pods' containers stopped, as the kubelet (kwok) reported it. */
const lastStop = (pods: V1Pod[]) =>
  new Date(
    Math.max(
      ...pods.flatMap((p) =>
        (p.status?.containerStatuses ?? []).map((c) => new Date(c.state!.terminated!.finishedAt!).getTime()),
      ),
    ),
  ).toISOString();

/** What kwok's end of a copy makes of every student in it. */
const copyEnded = {
  status: 'failed',
  reason: { code: 'COPY_ENDED', message: 'the copy ended (Completed, exit code 0) before it reported' },
};

/** The script's environment, in the order the service writes it; an empty value is one the API server leaves out. */
const env = (values: Record<string, string>) =>
  ['MOOP_JOB', 'MOOP_FROM', 'MOOP_FROM_ROOT', 'MOOP_TO', 'MOOP_TO_ROOT', 'MOOP_CUTOFF', 'MOOP_RESULT'].map((name) =>
    values[name] ? { name, value: values[name] } : { name },
  );

/** A student's container as the API server holds it. */
const container = (i: number, image: string, values: Record<string, string>, mounts: object[]): V1Container => ({
  name: `student-${i}`,
  image,
  imagePullPolicy: 'IfNotPresent',
  args: ['/bin/sh', '-c', copyScript],
  env: env({ MOOP_CUTOFF: '', MOOP_RESULT: '/dev/termination-log', ...values }),
  volumeMounts: mounts as V1Container['volumeMounts'],
  resources: {},
  securityContext: { capabilities: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID'] } },
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
});
const distributing = (job = 'distribute-keep') => ({
  MOOP_JOB: job,
  MOOP_FROM: '/moop/source/ds101',
  MOOP_FROM_ROOT: '/moop/source',
  MOOP_TO: '/moop/student/ds101',
  MOOP_TO_ROOT: '/moop/student',
});
const sourceMount = { name: 'moop-vol-0', mountPath: '/moop/source', readOnly: true };
const claimVolume = (i: number, claimName: string, readOnly = false) => ({
  name: `moop-vol-${i}`,
  persistentVolumeClaim: { claimName, ...(readOnly ? { readOnly: true } : {}) },
});

/** The commands and arguments of every container: no caller's text ever reaches a shell. */
const commandLines = (pods: { spec?: { containers: V1Container[] } }[]) =>
  JSON.stringify(pods.map((p) => p.spec!.containers.map((c) => [c.command, c.args])));

describe('POST /service/v1/operations/distributions', () => {
  let started: Operation;

  it('answers 202 at once with the operation: 17 students in copies of 15 and 2, every student running', async () => {
    const answer = await post('distributions', distribution(a.tenant, classA));
    started = answer.body;

    expect(answer).toEqual({
      status: 202,
      body: {
        id: expect.stringMatching(/^op-[0-9a-z]{20}$/),
        kind: 'distribution',
        state: 'Running',
        startedAt: timestamp,
        summary: { running: 17, copied: 0, late: 0, skipped: 0, failed: 0 },
        copies: [
          { name: copyName(a.tenant), kind: 'Pod', students: 15 },
          { name: copyName(a.tenant), kind: 'Pod', students: 2 },
        ],
        students: classA.map((username, i) => ({
          username,
          tag: 'default',
          status: 'running',
          copy: answer.body.copies[i < 15 ? 0 : 1]!.name,
        })),
      },
    });
    expect(answer.body.copies[0]!.name).not.toBe(answer.body.copies[1]!.name);
  });

  it('makes each copy a Pod with a container per student: the constant script, the folders as MOOP_* data, the source read-only', async () => {
    const pods = await podsOf(a.namespace, started);
    const batches = [classA.slice(0, 15), classA.slice(15)];

    expect(pods.map((p) => [p.metadata?.name, p.metadata?.labels, p.metadata?.annotations])).toEqual(
      started.copies.map((c) => [c.name, marks(a.tenant, started.id), { 'moop.io/tenant': a.tenant }]),
    );
    expect(pods.map((p) => p.spec?.volumes)).toEqual(
      batches.map((names) => [
        claimVolume(0, claimOf(a.tenant, teacher), true),
        ...names.map((u, k) => claimVolume(k + 1, claimOf(a.tenant, u))),
      ]),
    );
    expect(pods.map((p) => p.spec?.containers)).toEqual(
      batches.map((names, n) =>
        names.map((_, k) =>
          container(n * 15 + k, images.a, distributing(), [
            sourceMount,
            { name: `moop-vol-${k + 1}`, mountPath: '/moop/student' },
          ]),
        ),
      ),
    );
    expect(pods.map((p) => [p.spec?.restartPolicy, p.spec?.automountServiceAccountToken])).toEqual([
      ['Never', false],
      ['Never', false],
    ]);
    for (const u of classA) expect(commandLines(pods)).not.toContain(u);
  });

  it('answers the same operation to GET, and once kwok has ended the copies, every student failed COPY_ENDED', async () => {
    const first = await read(a.tenant, started.id);
    expect(first.status).toBe(200);
    const same = (o: Operation) => [o.id, o.kind, o.startedAt, o.copies, o.students.map((s) => [s.username, s.copy])];
    expect(same(first.body)).toEqual(same(started));

    const done = await ended(a.tenant, started.id);

    expect(done).toEqual({
      ...started,
      state: 'Failed',
      finishedAt: lastStop(await podsOf(a.namespace, started)),
      summary: { running: 0, copied: 0, late: 0, skipped: 0, failed: 17 },
      students: started.students.map((s) => ({ ...s, ...copyEnded })),
    });
    // Settled: kept in the operation's record in moop-records (not the tenant's namespace), and answered from it.
    expect(await read(a.tenant, started.id)).toEqual({ status: 200, body: done });
    const record = await core.readNamespacedConfigMap({
      name: `operation-${a.tenant}-${started.id.slice(3)}`,
      namespace: recordsNamespace,
    });
    expect([record.metadata?.labels, JSON.parse(record.data!.results!)]).toEqual([marks(a.tenant, started.id), done]);
  });

  it("makes a Job of the seeds' template, replacing, and reads the results from the Job's pod", async () => {
    const answer = await post('distributions', distribution(b.tenant, classB, { mode: 'replace' }));
    const name = answer.body.copies[0]?.name;
    expect(answer).toEqual({
      status: 202,
      body: {
        id: expect.stringMatching(/^op-[0-9a-z]{20}$/),
        kind: 'distribution',
        state: 'Running',
        startedAt: timestamp,
        summary: { running: 3, copied: 0, late: 0, skipped: 0, failed: 0 },
        copies: [{ name: copyName(b.tenant), kind: 'Job', students: 3 }],
        students: classB.map((username) => ({ username, tag: 'default', status: 'running', copy: name })),
      },
    });
    const job: V1Job = await batch.readNamespacedJob({ name: name!, namespace: b.namespace });
    const uid = job.metadata!.uid!;
    expect([job.metadata?.labels, job.spec?.template.metadata?.labels]).toEqual([
      marks(b.tenant, answer.body.id),
      {
        ...marks(b.tenant, answer.body.id),
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': name,
        'controller-uid': uid,
        'job-name': name,
      },
    ]);
    expect(job.spec?.template.spec?.volumes).toEqual([
      claimVolume(0, claimOf(b.tenant, teacher), true),
      ...classB.map((u, k) => claimVolume(k + 1, claimOf(b.tenant, u))),
    ]);
    expect(job.spec?.template.spec?.containers).toEqual(
      classB.map((_, k) =>
        container(k, images.b, distributing('distribute-replace'), [
          sourceMount,
          { name: `moop-vol-${k + 1}`, mountPath: '/moop/student' },
        ]),
      ),
    );

    const done = await ended(b.tenant, answer.body.id);
    const { items: pods } = await core.listNamespacedPod({ namespace: b.namespace, labelSelector: `job-name=${name}` });
    expect(done).toEqual({
      ...answer.body,
      state: 'Failed',
      finishedAt: lastStop(pods),
      summary: { running: 0, copied: 0, late: 0, skipped: 0, failed: 3 },
      students: answer.body.students.map((s) => ({ ...s, ...copyEnded })),
    });
  });

  it('passes folders that look like shell to the script only as environment values', async () => {
    const answer = await post('distributions', {
      ...distribution(a.tenant, [classA[0]!]),
      source: { username: teacher, subpath: 'ds101/$(reboot)' },
      subpath: "`id`; rm -rf / 'x'",
    });
    expect([answer.status, answer.body.copies.length]).toEqual([202, 1]);

    const [pod] = await podsOf(a.namespace, answer.body);
    const values = { MOOP_FROM: '/moop/source/ds101/$(reboot)', MOOP_TO: "/moop/student/`id`; rm -rf / 'x'" };
    expect(pod!.spec?.containers).toEqual([
      container(0, images.a, { ...distributing(), ...values }, [
        sourceMount,
        { name: 'moop-vol-1', mountPath: '/moop/student' },
      ]),
    ]);
  });

  it('skips a student without a claim (NO_VOLUME) and one whose claim is Pending (CLAIM_NOT_BOUND); copies the rest', async () => {
    const names = [ghost, classA[0]!, pending];
    const answer = await post('distributions', distribution(a.tenant, names));
    const name = answer.body.copies[0]?.name;

    const skipped = {
      [ghost]: { code: 'NO_VOLUME', message: `${ghost} has no claim (tag default)` },
      [pending]: {
        code: 'CLAIM_NOT_BOUND',
        message: `${pending}'s claim ${claimOf(a.tenant, pending)} is Pending, not Bound`,
      },
    };
    const running = { username: classA[0], tag: 'default', status: 'running', copy: name };
    expect(answer).toEqual({
      status: 202,
      body: {
        id: expect.stringMatching(/^op-[0-9a-z]{20}$/),
        kind: 'distribution',
        state: 'Running',
        startedAt: timestamp,
        summary: { running: 1, copied: 0, late: 0, skipped: 2, failed: 0 },
        copies: [{ name: copyName(a.tenant), kind: 'Pod', students: 1 }],
        students: [
          { username: ghost, tag: 'default', status: 'skipped', reason: skipped[ghost] },
          running,
          { username: pending, tag: 'default', status: 'skipped', reason: skipped[pending] },
        ],
      },
    });
    // The one student planned keeps their index: their container is student-1.
    const [pod] = await podsOf(a.namespace, answer.body);
    expect(pod!.spec?.containers.map((c) => c.name)).toEqual(['student-1']);
    const done = await ended(a.tenant, answer.body.id);
    expect(done).toEqual({
      ...answer.body,
      state: 'Failed',
      finishedAt: lastStop(await podsOf(a.namespace, answer.body)),
      summary: { running: 0, copied: 0, late: 0, skipped: 2, failed: 1 },
      students: answer.body.students.map((s) => (s.status === 'running' ? { ...s, ...copyEnded } : s)),
    });
  });

  it('answers an operation whose every student is skipped as Succeeded at once, with no copy', async () => {
    const answer = await post('distributions', distribution(a.tenant, [ghost, pending]));

    expect(answer).toEqual({
      status: 202,
      body: {
        id: expect.stringMatching(/^op-[0-9a-z]{20}$/),
        kind: 'distribution',
        state: 'Succeeded',
        startedAt: timestamp,
        finishedAt: answer.body.startedAt,
        summary: { running: 0, copied: 0, late: 0, skipped: 2, failed: 0 },
        copies: [],
        students: [
          {
            username: ghost,
            tag: 'default',
            status: 'skipped',
            reason: { code: 'NO_VOLUME', message: `${ghost} has no claim (tag default)` },
          },
          {
            username: pending,
            tag: 'default',
            status: 'skipped',
            reason: {
              code: 'CLAIM_NOT_BOUND',
              message: `${pending}'s claim ${claimOf(a.tenant, pending)} is Pending, not Bound`,
            },
          },
        ],
      },
    });
    expect(await read(a.tenant, answer.body.id)).toEqual({ status: 200, body: answer.body });
    const copies = await core.listNamespacedPod({
      namespace: a.namespace,
      labelSelector: `moop.io/operation=${answer.body.id}`,
    });
    expect(copies.items).toEqual([]);
  });

  it("mounts one shared claim once per copy of 24, each student's folder by subPath <shared.subpath>/<username>", async () => {
    const names = Array.from({ length: 26 }, (_, i) => user(`sh ${i + 1}`));
    const shared = { username: superUser, tag: a.namespace, subpath: 'home' };

    const answer = await post('distributions', distribution(a.tenant, names, { shared }));

    expect(answer).toEqual({
      status: 202,
      body: {
        id: expect.stringMatching(/^op-[0-9a-z]{20}$/),
        kind: 'distribution',
        state: 'Running',
        startedAt: timestamp,
        summary: { running: 26, copied: 0, late: 0, skipped: 0, failed: 0 },
        copies: [
          { name: copyName(a.tenant), kind: 'Pod', students: 24 },
          { name: copyName(a.tenant), kind: 'Pod', students: 2 },
        ],
        students: names.map((username, i) => ({
          username,
          tag: 'default',
          status: 'running',
          copy: answer.body.copies[i < 24 ? 0 : 1]!.name,
        })),
      },
    });
    const pods = await podsOf(a.namespace, answer.body);
    const batches = [names.slice(0, 24), names.slice(24)];
    expect(pods.map((p) => p.spec?.volumes)).toEqual(
      batches.map(() => [
        claimVolume(0, claimOf(a.tenant, teacher), true),
        claimVolume(1, claimOf(a.tenant, superUser)),
      ]),
    );
    expect(pods.map((p) => p.spec?.containers)).toEqual(
      batches.map((batchNames, n) =>
        batchNames.map((u, k) =>
          container(n * 24 + k, images.a, distributing(), [
            sourceMount,
            { name: 'moop-vol-1', mountPath: '/moop/student', subPath: `home/${u}` },
          ]),
        ),
      ),
    );
    for (const u of names) expect(commandLines(pods)).not.toContain(u);
  });
});

describe('POST /service/v1/operations/collections', () => {
  it("mounts each student's claim read-only and only their own folder of the destination, <subpath>/<assignment>/<username>", async () => {
    const names = [classA[0]!, classA[16]!, ghost];
    const cutoff = '2026-01-15T12:00:00+01:00';

    const answer = await post('collections', {
      tenant: a.tenant,
      students: roster(names),
      subpath: 'hw1',
      destination: { username: teacher, subpath: 'submissions' },
      assignment: 'hw1',
      cutoff,
    });
    const name = answer.body.copies[0]?.name;

    expect(answer).toEqual({
      status: 202,
      body: {
        id: expect.stringMatching(/^op-[0-9a-z]{20}$/),
        kind: 'collection',
        state: 'Running',
        startedAt: timestamp,
        summary: { running: 2, copied: 0, late: 0, skipped: 1, failed: 0 },
        copies: [{ name: copyName(a.tenant), kind: 'Pod', students: 2 }],
        students: [
          ...names.slice(0, 2).map((username) => ({ username, tag: 'default', status: 'running', copy: name })),
          {
            username: ghost,
            tag: 'default',
            status: 'skipped',
            reason: { code: 'NO_VOLUME', message: `${ghost} has no claim (tag default)` },
          },
        ],
      },
    });
    const [pod] = await podsOf(a.namespace, answer.body);
    // Claims by first mount: the first student's, the destination, the second student's.
    expect(pod!.spec?.volumes).toEqual([
      claimVolume(0, claimOf(a.tenant, names[0]!), true),
      claimVolume(1, claimOf(a.tenant, teacher)),
      claimVolume(2, claimOf(a.tenant, names[1]!), true),
    ]);
    const collecting = {
      MOOP_JOB: 'collect',
      MOOP_FROM: '/moop/student/hw1',
      MOOP_FROM_ROOT: '/moop/student',
      MOOP_TO: '/moop/destination',
      MOOP_TO_ROOT: '/moop/destination',
      MOOP_CUTOFF: String(Date.parse(cutoff) / 1000),
    };
    expect(pod!.spec?.containers).toEqual(
      names.slice(0, 2).map((u, k) =>
        container(k, images.a, collecting, [
          { name: `moop-vol-${k * 2}`, mountPath: '/moop/student', readOnly: true },
          { name: 'moop-vol-1', mountPath: '/moop/destination', subPath: `submissions/hw1/${u}` },
        ]),
      ),
    );
    for (const u of names) expect(commandLines([pod!])).not.toContain(u);
    const done = await ended(a.tenant, answer.body.id);
    expect(done).toEqual({
      ...answer.body,
      state: 'Failed',
      finishedAt: lastStop(await podsOf(a.namespace, answer.body)),
      summary: { running: 0, copied: 0, late: 0, skipped: 1, failed: 2 },
      students: answer.body.students.map((s) => (s.status === 'running' ? { ...s, ...copyEnded } : s)),
    });
  });
});

describe('a folder whose claim is missing or not Bound', () => {
  const collection = (username: string) => ({
    tenant: a.tenant,
    students: roster([classA[0]!]),
    subpath: 'hw1',
    destination: { username, subpath: 'submissions' },
    assignment: 'hw1',
  });
  const notFound = (what: string, username: string) => ({
    status: 404,
    body: {
      error: `The ${what} claim of ${username} (tag default) does not exist in namespace ${a.namespace}.`,
      code: 'CLAIM_NOT_FOUND',
      details: { username, tag: 'default' },
    },
  });
  const notBound = (what: string) => ({
    status: 409,
    body: {
      error: `The ${what} claim of ${pending} (tag default), ${claimOf(a.tenant, pending)}, is not Bound to a volume yet.`,
      code: 'CLAIM_NOT_BOUND',
      details: { claim: claimOf(a.tenant, pending), phase: 'Pending' },
    },
  });

  it.each([
    [
      'a distribution from a missing source claim is a 404',
      () => post('distributions', { ...distribution(a.tenant, classA), source: { username: ghost, subpath: 'x' } }),
      () => notFound('source', ghost),
    ],
    [
      'a distribution from a Pending source claim is a 409',
      () => post('distributions', { ...distribution(a.tenant, classA), source: { username: pending, subpath: 'x' } }),
      () => notBound('source'),
    ],
    [
      'a collection into a missing destination claim is a 404',
      () => post('collections', collection(ghost)),
      () => notFound('destination', ghost),
    ],
    [
      'a collection into a Pending destination claim is a 409',
      () => post('collections', collection(pending)),
      () => notBound('destination'),
    ],
    [
      'a distribution into a missing shared claim is a 404',
      () => post('distributions', distribution(a.tenant, classA, { shared: { username: ghost, subpath: 'home' } })),
      () => notFound('shared', ghost),
    ],
    [
      "a distribution by a school sharing tenant a's namespace, from tenant a's teacher, is a 404",
      () => post('distributions', distribution(tenants.neighbour.id, classA)),
      () => notFound('source', teacher),
    ],
  ])('%s, and nothing is made', async (_what, request, expected) => {
    const before = await managedNames();
    expect(await request()).toEqual(expected());
    expect(await managedNames()).toEqual(before);
  });
});

describe('a tenant whose pod template the service refuses', () => {
  const unsafe = tenants.unsafePod.id;
  const planted = user('unsafe');
  const owner = { 'moop.io/tenant': unsafe, 'moop.io/user': planted, 'moop.io/tag': 'default' };
  const labels = { 'app.kubernetes.io/managed-by': 'moop-resource-service', ...owner };

  it('is a 422 TEMPLATE_UNSAFE before any copy is made', async () => {
    // A claim of this tenant's, Bound, as an operator (or an earlier template) left it in tenant-a: planning finds it,
    // and only the template is left to refuse.
    const pv = `pv-${unsafe}-${planted}-default`;
    const pvc = `pvc-${unsafe}-${planted}-default`;
    await core.createPersistentVolume({
      body: {
        metadata: { name: pv, labels: { pv, ...labels }, annotations: owner },
        spec: {
          accessModes: ['ReadWriteMany'],
          capacity: { storage: '1Mi' },
          nfs: { server: '10.0.0.2', path: `/exports/moop/${a.namespace}/${planted}` },
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: '',
        },
      },
    });
    await core.createNamespacedPersistentVolumeClaim({
      namespace: a.namespace,
      body: {
        metadata: { name: pvc, labels, annotations: owner },
        spec: {
          accessModes: ['ReadWriteMany'],
          resources: { requests: { storage: '1Mi' } },
          storageClassName: '',
          volumeName: pv,
        },
      },
    });
    await until(
      `${pvc} to bind`,
      async () =>
        (await core.readNamespacedPersistentVolumeClaim({ name: pvc, namespace: a.namespace })).status?.phase ===
        'Bound',
    );
    const before = await managedNames();

    const answer = await post('distributions', {
      ...distribution(unsafe, [planted]),
      source: { username: planted, subpath: 'ds101' },
    });

    expect(answer).toEqual({
      status: 422,
      body: {
        error: `Tenant ${unsafe}'s "pod" template asks for what the service never makes: spec.hostNetwork (no host namespaces), spec.volumes[0].hostPath (volumes only of kinds emptyDir, downwardAPI).`,
        code: 'TEMPLATE_UNSAFE',
        details: [
          { field: 'spec.hostNetwork', message: 'no host namespaces' },
          { field: 'spec.volumes[0].hostPath', message: 'volumes only of kinds emptyDir, downwardAPI' },
        ],
      },
    });
    expect(await managedNames()).toEqual(before);
  });
});

describe('an Idempotency-Key', () => {
  const key = `${prefix}key`;
  let first: Operation;

  it('answers a retried request with the same operation, making no new copy', async () => {
    const headers = { 'idempotency-key': key };
    const answer = await post('distributions', distribution(a.tenant, classA.slice(0, 2)), headers);
    expect([answer.status, answer.body.copies.length]).toEqual([202, 1]);
    first = answer.body;
    const before = await managedNames();

    // mode keep said out loud is the same request as mode left to its default.
    const again = await post('distributions', distribution(a.tenant, classA.slice(0, 2), { mode: 'keep' }), headers);

    expect(again).toEqual({ status: 202, body: first });
    expect(await managedNames()).toEqual(before);
  });

  it('refuses the same key with another request (409 IDEMPOTENCY_KEY_REUSED), making nothing', async () => {
    const before = await managedNames();

    const other = await post('distributions', distribution(a.tenant, classA.slice(0, 3)), { 'idempotency-key': key });

    expect(other).toEqual({
      status: 409,
      body: {
        error: 'This Idempotency-Key was used for a different request; use a new key for a new request.',
        code: 'IDEMPOTENCY_KEY_REUSED',
      },
    });
    expect(await managedNames()).toEqual(before);
    expect((await read(a.tenant, first.id)).body.students.map((s) => s.username)).toEqual(classA.slice(0, 2));
  });

  it('answers two identical requests sent at once with one operation and one set of copies', async () => {
    const headers = { 'idempotency-key': `${prefix}at-once` };
    const request = distribution(a.tenant, classA.slice(2, 4));

    const [one, two] = await Promise.all([
      post('distributions', request, headers),
      post('distributions', request, headers),
    ]);

    expect([one.status, two]).toEqual([202, { status: 202, body: one.body }]);
    const copies = await core.listNamespacedPod({
      namespace: a.namespace,
      labelSelector: `moop.io/operation=${one.body.id}`,
    });
    expect(copies.items.map((p) => p.metadata?.name)).toEqual([one.body.copies[0]!.name]);
  });

  it("starts another school's own operation under the same key, which the first school's id does not reach", async () => {
    const theirs = await post('distributions', distribution(b.tenant, classB), { 'idempotency-key': key });

    expect([theirs.status, theirs.body.copies.length, theirs.body.students.map((s) => s.username)]).toEqual([
      202,
      1,
      classB,
    ]);
    expect(theirs.body.id).not.toBe(first.id);
    expect((await read(b.tenant, first.id)).status).toBe(404);
    expect((await read(a.tenant, theirs.body.id)).status).toBe(404);
  });
});

describe('GET /service/v1/operations', () => {
  let id: string;
  beforeAll(async () => {
    const answer = await post('distributions', distribution(a.tenant, [ghost]));
    id = answer.body.id;
  });

  it('answers 404 OPERATION_NOT_FOUND for an id no operation has', async () => {
    const unknown = 'op-aaaaaaaaaaaaaaaaaaaa';
    expect(await read(a.tenant, unknown)).toEqual({
      status: 404,
      body: { error: `No operation ${unknown} for tenant ${a.tenant}.`, code: 'OPERATION_NOT_FOUND' },
    });
  });

  it("answers another school's operation as absent: tenant b, or a school sharing a's namespace, asking for a's id is a 404", async () => {
    expect((await read(a.tenant, id)).status).toBe(200);
    for (const other of [b.tenant, tenants.neighbour.id]) {
      expect(await read(other, id)).toEqual({
        status: 404,
        body: { error: `No operation ${id} for tenant ${other}.`, code: 'OPERATION_NOT_FOUND' },
      });
    }
  });

  it.each(['op-123', 'OP-AAAAAAAAAAAAAAAAAAAA', '../operation-x', ''])('refuses the id %j (400)', async (bad) => {
    const message = 'must be an operation id as the service answered it (op-<20 characters>)';
    expect(await read(a.tenant, bad)).toEqual({
      status: 400,
      body: {
        error: `Invalid request query: id: ${message}.`,
        code: 'INVALID_REQUEST',
        details: [{ field: 'id', message }],
      },
    });
  });
});

describe('bad input', () => {
  const person = 'must start with a letter or digit and hold only letters, digits, spaces and . _ @ + -';
  const dist = () => distribution(a.tenant, classA.slice(0, 2));
  const coll = () => ({
    tenant: a.tenant,
    students: roster(classA.slice(0, 2)),
    subpath: 'hw1',
    destination: { username: teacher, subpath: 'submissions' },
    assignment: 'hw1',
  });
  const cases: [
    what: string,
    route: 'distributions' | 'collections',
    body: () => object,
    field: string,
    message: string,
  ][] = [
    [
      "a subpath with '..'",
      'distributions',
      () => ({ ...dist(), subpath: 'ds101/../..' }),
      'subpath',
      'must not contain ".." segments',
    ],
    [
      "a source subpath of '..'",
      'distributions',
      () => ({ ...dist(), source: { username: teacher, subpath: '..' } }),
      'source.subpath',
      'must not contain ".." segments',
    ],
    [
      'an absolute subpath',
      'distributions',
      () => ({ ...dist(), subpath: '/etc' }),
      'subpath',
      'must be a relative path',
    ],
    [
      'an absolute destination subpath',
      'collections',
      () => ({ ...coll(), destination: { username: teacher, subpath: '/srv' } }),
      'destination.subpath',
      'must be a relative path',
    ],
    [
      "a username with '$('",
      'distributions',
      () => ({ ...dist(), students: roster(['a$(reboot)']) }),
      'students.0.username',
      person,
    ],
    [
      "a username with '/'",
      'collections',
      () => ({ ...coll(), students: roster([classA[0]!, 'x/y']) }),
      'students.1.username',
      person,
    ],
    [
      'a username twice',
      'distributions',
      () => ({ ...dist(), students: [...roster(classA.slice(0, 2)), { username: classA[0], tag: 'exam' }] }),
      'students',
      'must list each username once',
    ],
    ['an unknown field', 'distributions', () => ({ ...dist(), cmd: 'rm -rf /' }), 'body', 'Unrecognized key: "cmd"'],
    [
      'an unknown field of a student',
      'collections',
      () => ({ ...coll(), students: [{ username: classA[0], path: '/' }] }),
      'students.0',
      'Unrecognized key: "path"',
    ],
    [
      'a mode other than keep or replace',
      'distributions',
      () => ({ ...dist(), mode: 'merge' }),
      'mode',
      'Invalid option: expected one of "keep"|"replace"',
    ],
    [
      'a cutoff that is not ISO 8601',
      'collections',
      () => ({ ...coll(), cutoff: 'next friday' }),
      'cutoff',
      'Invalid ISO datetime',
    ],
    [
      'more than 500 students',
      'distributions',
      () => ({ ...dist(), students: roster(Array.from({ length: 501 }, (_, i) => `s${i}`)) }),
      'students',
      'must list at most 500 students',
    ],
    ["an assignment with '/'", 'collections', () => ({ ...coll(), assignment: 'hw1/part2' }), 'assignment', person],
  ];

  it.each(cases)(
    'refuses %s (400 INVALID_REQUEST naming the field), making nothing',
    async (_what, route, body, field, message) => {
      const before = await managedNames();

      expect(await post(route, body())).toEqual({
        status: 400,
        body: {
          error: `Invalid request body: ${field}: ${message}.`,
          code: 'INVALID_REQUEST',
          details: [{ field, message }],
        },
      });
      expect(await managedNames()).toEqual(before);
    },
  );
});
