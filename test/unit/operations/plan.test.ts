// A class operation planned over an in-memory cluster: whose claim each student's folder is in (or why the student is
// skipped), the copies that do them (15 students each with their own claims, so that a copy mounts at most 16; 24 in
// one shared claim), what each student's container mounts and reads; nothing made, one list read; and a copy of the
// plan rendered into the tenant's Pod or Job, one container per student.
import type { V1Container, V1Job, V1PersistentVolumeClaim, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { renderWork } from '../../../lib/copies/render.ts';
import { ConflictError, NotFoundError } from '../../../lib/errors.ts';
import { type OperationRequest, planOperation, studentsPerCopy } from '../../../lib/operations/plan.ts';
import { operationLabel } from '../../../lib/operations/record.ts';
import { CollectionBody, DistributionBody } from '../../../lib/operations/schemas.ts';
import { copyScript, scriptEnv } from '../../../lib/operations/script.ts';
import { adoptionMarks, markOwned, ownerLabels } from '../../../lib/ownership/ownership.ts';
import type { TenantScope } from '../../../lib/tenants/scope.ts';
import { claimRefs } from '../../../lib/volumes/key.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';
import { renderScope } from '../../support/scope.ts';

const [a, b] = [tenants.a, tenants.b];

let resources: FakeResources;
let scope: TenantScope;
beforeEach(() => {
  resources = new FakeResources();
  scope = { ...renderScope(a), resources };
});

/** The name the tenant's template gives a user's claim. */
const claimName = (username: string, tag = 'default', s: TenantScope = scope) =>
  claimRefs(s, { username, tag })[0]!.name;

/** Seeds username's claim in phase (null: no status yet), marked for its owner (by default the scope's tenant, user and tag). */
async function claim(
  username: string,
  phase: string | null = 'Bound',
  options: { tag?: string; s?: TenantScope; marks?: (c: V1PersistentVolumeClaim) => V1PersistentVolumeClaim } = {},
) {
  const { tag = 'default', s = scope } = options;
  const bare: V1PersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claimName(username, tag, s), namespace: s.namespace },
    ...(phase ? { status: { phase } } : {}),
  };
  const marked = options.marks ? options.marks(bare) : markOwned(bare, { tenant: s.tenant.id, user: username, tag });
  await (s.resources as FakeResources).seed(marked);
  return bare.metadata!.name!;
}

const usernames = (n: number, prefix = 'student') =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(2, '0')}`);
const roster = (names: string[]) => names.map((username) => ({ username }));

const distribution = (body: Record<string, unknown>, tenant = a.id): OperationRequest => ({
  kind: 'distribution',
  ...DistributionBody.parse({ tenant, source: { username: 'teacher', subpath: 'course/week1' }, ...body }),
});
const collection = (body: Record<string, unknown>, tenant = a.id): OperationRequest => ({
  kind: 'collection',
  ...CollectionBody.parse({
    tenant,
    destination: { username: 'teacher', subpath: 'collected' },
    assignment: 'hw1',
    ...body,
  }),
});

/** The distinct claims a copy mounts. */
const claimsOf = (copy: { parts: { vols: { pvc: string }[] }[] }) => [
  ...new Set(copy.parts.flatMap((p) => p.vols.map((v) => v.pvc))),
];

describe('a distribution to students with their own claims', () => {
  it('answers the whole plan: each student placed or skipped with why, their container mounting and reading', async () => {
    const source = await claim('teacher');
    const alice = await claim('alice');
    await claim('carol', 'Pending');
    const elodie = await claim('Élodie M.');
    await claim('frank', 'Lost');
    const request = distribution({
      students: roster(['alice', 'bob', 'carol', 'Élodie M.', 'frank']),
      subpath: 'ds101',
    });

    const plan = await planOperation(scope, request);

    const part = (index: number, pvc: string) => ({
      name: `student-${index}`,
      cmd: copyScript,
      env: {
        MOOP_JOB: 'distribute-keep',
        MOOP_FROM: '/moop/source/course/week1',
        MOOP_FROM_ROOT: '/moop/source',
        MOOP_TO: '/moop/student/ds101',
        MOOP_TO_ROOT: '/moop/student',
        MOOP_CUTOFF: '',
        MOOP_RESULT: '/dev/termination-log',
      },
      vols: [
        { pvc: source, mount: '/moop/source', readOnly: true },
        { pvc, mount: '/moop/student' },
      ],
    });
    expect(plan).toEqual({
      students: [
        { index: 0, username: 'alice', tag: 'default', claim: alice },
        {
          index: 1,
          username: 'bob',
          tag: 'default',
          skipped: { code: 'NO_VOLUME', message: 'bob has no claim (tag default)' },
        },
        {
          index: 2,
          username: 'carol',
          tag: 'default',
          skipped: {
            code: 'CLAIM_NOT_BOUND',
            message: `carol's claim ${claimName('carol')} is Pending, not Bound`,
          },
        },
        { index: 3, username: 'Élodie M.', tag: 'default', claim: elodie },
        {
          index: 4,
          username: 'frank',
          tag: 'default',
          skipped: { code: 'CLAIM_NOT_BOUND', message: `frank's claim ${claimName('frank')} is Lost, not Bound` },
        },
      ],
      copies: [{ batch: 0, students: [0, 3], parts: [part(0, alice), part(3, elodie)], readOnlyClaims: [source] }],
    });
  });

  it('reads one list of claims and makes nothing', async () => {
    await claim('teacher');
    await claim('alice');
    resources.calls.length = 0;
    await planOperation(scope, distribution({ students: roster(['alice', 'bob']) }));
    expect(resources.calls).toEqual(['list PersistentVolumeClaim tenant-a']);
  });

  it('splits 40 students into copies of 15, 15 and 10, each mounting at most 16 claims (the source once)', async () => {
    const source = await claim('teacher');
    const names = usernames(40);
    for (const n of names) await claim(n);

    const plan = await planOperation(scope, distribution({ students: roster(names), subpath: 'ds101' }));

    expect(studentsPerCopy.own).toBe(15);
    expect(plan.copies.map((c) => [c.batch, c.students])).toEqual([
      [0, Array.from({ length: 15 }, (_, i) => i)],
      [1, Array.from({ length: 15 }, (_, i) => i + 15)],
      [2, Array.from({ length: 10 }, (_, i) => i + 30)],
    ]);
    expect(plan.copies.map((c) => claimsOf(c).length)).toEqual([16, 16, 11]);
    expect(plan.copies.map((c) => c.parts.map((p) => p.name))).toEqual([
      names.slice(0, 15).map((_, i) => `student-${i}`),
      names.slice(15, 30).map((_, i) => `student-${i + 15}`),
      names.slice(30).map((_, i) => `student-${i + 30}`),
    ]);
    expect(plan.copies.map((c) => c.readOnlyClaims)).toEqual([[source], [source], [source]]);
    // Every student's container mounts the source and their own claim, nobody else's.
    expect(plan.copies.flatMap((c) => c.parts.map((p) => p.vols.map((v) => v.pvc)))).toEqual(
      names.map((n) => [source, claimName(n)]),
    );
    // Rendered, every copy's pod holds a volume per claim: at most 16.
    const rendered = plan.copies.map((c) => renderWork(scope, c, { random: `abcdefg${c.batch}` }) as V1Pod);
    expect(rendered.map((p) => p.spec!.volumes!.length)).toEqual([16, 16, 11]);
  });

  it('batches only the students placed: the skipped take no place in a copy', async () => {
    await claim('teacher');
    const names = usernames(17);
    for (const n of names.filter((_, i) => i !== 3)) await claim(n);

    const plan = await planOperation(scope, distribution({ students: roster(names) }));

    expect(plan.copies.map((c) => c.students)).toEqual([[0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [16]]);
    expect(plan.students[3]).toEqual({
      index: 3,
      username: 'student04',
      tag: 'default',
      skipped: { code: 'NO_VOLUME', message: 'student04 has no claim (tag default)' },
    });
  });

  it('has no copy when every student is skipped', async () => {
    await claim('teacher');
    const plan = await planOperation(scope, distribution({ students: roster(['alice', 'bob']) }));
    expect([plan.copies, plan.students.map((s) => s.skipped?.code)]).toEqual([[], ['NO_VOLUME', 'NO_VOLUME']]);
  });

  it("finds a student's claim of another tag, and replaces when asked", async () => {
    const source = await claim('teacher');
    const exam = await claim('alice', 'Bound', { tag: 'exam' });
    await claim('alice');
    const plan = await planOperation(
      scope,
      distribution({ students: [{ username: 'alice', tag: 'exam' }], mode: 'replace' }),
    );
    expect(plan.copies[0]!.parts).toEqual([
      {
        name: 'student-0',
        cmd: copyScript,
        env: scriptEnv({
          job: 'distribute-replace',
          from: '/moop/source/course/week1',
          fromRoot: '/moop/source',
          to: '/moop/student',
          toRoot: '/moop/student',
        }),
        vols: [
          { pvc: source, mount: '/moop/source', readOnly: true },
          { pvc: exam, mount: '/moop/student' },
        ],
      },
    ]);
  });

  it('copies from the root of the source claim when it names no subpath', async () => {
    await claim('teacher');
    await claim('alice');
    const plan = await planOperation(
      scope,
      distribution({ source: { username: 'teacher', subpath: null }, students: roster(['alice']), subpath: '' }),
    );
    expect(plan.copies[0]!.parts[0]!.env).toMatchObject({
      MOOP_FROM: '/moop/source',
      MOOP_FROM_ROOT: '/moop/source',
      MOOP_TO: '/moop/student',
    });
  });

  it('mounts the source read-only at the mount only, when a student is its owner (one claim, written by them)', async () => {
    const teacher = await claim('teacher');
    const plan = await planOperation(scope, distribution({ students: roster(['teacher']), subpath: 'copy' }));
    expect([plan.copies[0]!.parts[0]!.vols, plan.copies[0]!.readOnlyClaims]).toEqual([
      [
        { pvc: teacher, mount: '/moop/source', readOnly: true },
        { pvc: teacher, mount: '/moop/student' },
      ],
      [],
    ]);
  });
});

describe('the source, destination or shared claim not there', () => {
  it('answers 404 CLAIM_NOT_FOUND for a missing source, making nothing', async () => {
    await claim('alice');
    resources.calls.length = 0;
    const planned = planOperation(scope, distribution({ students: roster(['alice']) }));
    await expect(planned).rejects.toThrow(NotFoundError);
    await expect(planned).rejects.toMatchObject({
      status: 404,
      code: 'CLAIM_NOT_FOUND',
      message: 'The source claim of teacher (tag default) does not exist in namespace tenant-a.',
      details: { username: 'teacher', tag: 'default' },
    });
    expect(resources.calls).toEqual(['list PersistentVolumeClaim tenant-a']);
  });

  it('answers 409 CLAIM_NOT_BOUND for a Pending source', async () => {
    await claim('teacher', 'Pending');
    await claim('alice');
    const planned = planOperation(scope, distribution({ students: roster(['alice']) }));
    await expect(planned).rejects.toThrow(ConflictError);
    await expect(planned).rejects.toMatchObject({
      status: 409,
      code: 'CLAIM_NOT_BOUND',
      message: `The source claim of teacher (tag default), ${claimName('teacher')}, is not Bound to a volume yet.`,
      details: { claim: claimName('teacher'), phase: 'Pending' },
    });
  });

  it('answers 409 for a source claim without a status yet', async () => {
    await claim('teacher', null);
    await expect(planOperation(scope, distribution({ students: roster(['alice']) }))).rejects.toMatchObject({
      status: 409,
      code: 'CLAIM_NOT_BOUND',
      details: { claim: claimName('teacher'), phase: undefined },
    });
  });

  it("answers 404 for a collection's missing destination, and for a missing shared claim", async () => {
    await claim('teacher');
    await expect(planOperation(scope, collection({ students: roster(['alice']) }))).resolves.toBeDefined();
    await expect(
      planOperation(scope, collection({ students: roster(['alice']), destination: { username: 'ta', subpath: 'x' } })),
    ).rejects.toMatchObject({
      status: 404,
      code: 'CLAIM_NOT_FOUND',
      message: 'The destination claim of ta (tag default) does not exist in namespace tenant-a.',
    });
    await expect(
      planOperation(
        scope,
        distribution({ students: roster(['alice']), shared: { username: 'moop', subpath: 'home' } }),
      ),
    ).rejects.toMatchObject({
      status: 404,
      code: 'CLAIM_NOT_FOUND',
      message: 'The shared claim of moop (tag default) does not exist in namespace tenant-a.',
      details: { username: 'moop', tag: 'default' },
    });
  });

  it('answers 409 for a shared claim not Bound', async () => {
    await claim('teacher');
    await claim('moop', 'Pending');
    await expect(
      planOperation(
        scope,
        distribution({ students: roster(['alice']), shared: { username: 'moop', subpath: 'home' } }),
      ),
    ).rejects.toMatchObject({
      status: 409,
      code: 'CLAIM_NOT_BOUND',
      message: `The shared claim of moop (tag default), ${claimName('moop')}, is not Bound to a volume yet.`,
    });
  });
});

describe("another tenant's claim", () => {
  it('is never used, even under the name the template gives the student: the student is skipped', async () => {
    await claim('teacher');
    // Marked for tenant b; marked for a by its labels but b by its annotation (forged); not marked at all.
    await claim('alice', 'Bound', { marks: (c) => markOwned(c, { tenant: b.id, user: 'alice', tag: 'default' }) });
    await claim('bob', 'Bound', {
      marks: (c) => ({
        ...c,
        metadata: {
          ...c.metadata,
          labels: ownerLabels({ tenant: a.id, user: 'bob', tag: 'default' }),
          annotations: { 'moop.io/tenant': b.id, 'moop.io/user': 'bob', 'moop.io/tag': 'default' },
        },
      }),
    });
    await claim('carol', 'Bound', { marks: (c) => c });
    const plan = await planOperation(scope, distribution({ students: roster(['alice', 'bob', 'carol']) }));
    expect([plan.copies, plan.students.map((s) => [s.username, s.skipped?.code])]).toEqual([
      [],
      [
        ['alice', 'NO_VOLUME'],
        ['bob', 'NO_VOLUME'],
        ['carol', 'NO_VOLUME'],
      ],
    ]);
  });

  it('is never the source: 404', async () => {
    await claim('teacher', 'Bound', { marks: (c) => markOwned(c, { tenant: b.id, user: 'teacher', tag: 'default' }) });
    await claim('alice');
    await expect(planOperation(scope, distribution({ students: roster(['alice']) }))).rejects.toMatchObject({
      code: 'CLAIM_NOT_FOUND',
    });
  });

  it("is not confused with the tenant's own claim in another namespace", async () => {
    await claim('teacher');
    const other = { ...scope, namespace: 'tenant-b' };
    await claim('alice', 'Bound', { s: other });
    const plan = await planOperation(scope, distribution({ students: roster(['alice']) }));
    expect(plan.students).toEqual([
      {
        index: 0,
        username: 'alice',
        tag: 'default',
        skipped: { code: 'NO_VOLUME', message: 'alice has no claim (tag default)' },
      },
    ]);
  });

  it("uses the tenant's adopted claim (marked for the tenant only) under the student's name", async () => {
    await claim('teacher');
    const adopted = await claim('alice', 'Bound', {
      marks: (c) => {
        const marks = adoptionMarks(a.id, new Date('2026-01-01T00:00:00Z'));
        return { ...c, metadata: { ...c.metadata, labels: marks.labels, annotations: marks.annotations } };
      },
    });
    const plan = await planOperation(scope, distribution({ students: roster(['alice']) }));
    expect(plan.students).toEqual([{ index: 0, username: 'alice', tag: 'default', claim: adopted }]);
  });
});

describe("a collection from students' own claims", () => {
  it("mounts each student's claim read-only (mount and volume) and their folder of the destination only", async () => {
    const destination = await claim('teacher');
    const alice = await claim('alice');
    const bob = await claim('bob');
    const request = collection({
      students: roster(['alice', 'bob']),
      subpath: 'ds101/hw1',
      cutoff: '2026-03-08T23:59:59+01:00',
    });

    const plan = await planOperation(scope, request);

    const part = (index: number, username: string, pvc: string) => ({
      name: `student-${index}`,
      cmd: copyScript,
      env: {
        MOOP_JOB: 'collect',
        MOOP_FROM: '/moop/student/ds101/hw1',
        MOOP_FROM_ROOT: '/moop/student',
        MOOP_TO: '/moop/destination',
        MOOP_TO_ROOT: '/moop/destination',
        MOOP_CUTOFF: '1773010799',
        MOOP_RESULT: '/dev/termination-log',
      },
      vols: [
        { pvc, mount: '/moop/student', readOnly: true },
        { pvc: destination, mount: '/moop/destination', subpath: `collected/hw1/${username}` },
      ],
    });
    expect(plan).toEqual({
      students: [
        { index: 0, username: 'alice', tag: 'default', claim: alice },
        { index: 1, username: 'bob', tag: 'default', claim: bob },
      ],
      copies: [
        {
          batch: 0,
          students: [0, 1],
          parts: [part(0, 'alice', alice), part(1, 'bob', bob)],
          readOnlyClaims: [alice, bob],
        },
      ],
    });
    const pod = renderWork(scope, plan.copies[0]!, { random: 'abcdefgh' }) as V1Pod;
    expect(pod.spec!.volumes).toEqual([
      { name: 'moop-vol-0', persistentVolumeClaim: { claimName: alice, readOnly: true } },
      { name: 'moop-vol-1', persistentVolumeClaim: { claimName: destination } },
      { name: 'moop-vol-2', persistentVolumeClaim: { claimName: bob, readOnly: true } },
    ]);
  });

  it('has no cutoff unless asked, and puts the destination at its root when it names no subpath', async () => {
    const destination = await claim('teacher');
    await claim('alice');
    const plan = await planOperation(
      scope,
      collection({ students: roster(['alice']), destination: { username: 'teacher', subpath: null } }),
    );
    expect([plan.copies[0]!.parts[0]!.env!.MOOP_CUTOFF, plan.copies[0]!.parts[0]!.vols[1]]).toEqual([
      '',
      { pvc: destination, mount: '/moop/destination', subpath: 'hw1/alice' },
    ]);
  });

  it('splits 40 students into 15, 15 and 10, each copy mounting at most 16 claims (the destination once)', async () => {
    await claim('teacher');
    const names = usernames(40);
    for (const n of names) await claim(n);
    const plan = await planOperation(scope, collection({ students: roster(names) }));
    expect([plan.copies.map((c) => c.students.length), plan.copies.map((c) => claimsOf(c).length)]).toEqual([
      [15, 15, 10],
      [16, 16, 11],
    ]);
    expect(plan.copies.map((c) => c.readOnlyClaims.length)).toEqual([15, 15, 10]);
  });

  it('skips students without a claim or with one not Bound', async () => {
    await claim('teacher');
    await claim('bob', 'Pending');
    const plan = await planOperation(scope, collection({ students: roster(['alice', 'bob']) }));
    expect([plan.copies, plan.students.map((s) => s.skipped)]).toEqual([
      [],
      [
        { code: 'NO_VOLUME', message: 'alice has no claim (tag default)' },
        { code: 'CLAIM_NOT_BOUND', message: `bob's claim ${claimName('bob')} is Pending, not Bound` },
      ],
    ]);
  });
});

describe('one shared claim holding every student', () => {
  const shared = { username: 'moop', subpath: 'home' };

  it('distributes 50 students in copies of 24, 24 and 2, each mounting only <shared>/<username>', async () => {
    const source = await claim('teacher');
    const everyone = await claim('moop');
    const names = usernames(50);

    const plan = await planOperation(
      scope,
      distribution({ students: roster(names), subpath: 'ds101', shared, mode: 'replace' }),
    );

    expect(studentsPerCopy.shared).toBe(24);
    expect(plan.copies.map((c) => c.students.length)).toEqual([24, 24, 2]);
    expect(plan.students).toEqual(
      names.map((username, index) => ({ index, username, tag: 'default', claim: everyone })),
    );
    expect(plan.copies.map((c) => [claimsOf(c), c.readOnlyClaims])).toEqual([
      [[source, everyone], [source]],
      [[source, everyone], [source]],
      [[source, everyone], [source]],
    ]);
    expect(plan.copies.flatMap((c) => c.parts)).toEqual(
      names.map((username, index) => ({
        name: `student-${index}`,
        cmd: copyScript,
        env: scriptEnv({
          job: 'distribute-replace',
          from: '/moop/source/course/week1',
          fromRoot: '/moop/source',
          to: '/moop/student/ds101',
          toRoot: '/moop/student',
        }),
        vols: [
          { pvc: source, mount: '/moop/source', readOnly: true },
          { pvc: everyone, mount: '/moop/student', subpath: `home/${username}` },
        ],
      })),
    );
    // Rendered, a copy holds the shared claim as one volume, mounted by each container at its student's folder.
    const pod = renderWork(scope, plan.copies[2]!, { random: 'abcdefgh' }) as V1Pod;
    expect([pod.spec!.volumes, pod.spec!.containers.map((c) => c.volumeMounts)]).toEqual([
      [
        { name: 'moop-vol-0', persistentVolumeClaim: { claimName: source, readOnly: true } },
        { name: 'moop-vol-1', persistentVolumeClaim: { claimName: everyone } },
      ],
      [
        [
          { name: 'moop-vol-0', mountPath: '/moop/source', readOnly: true },
          { name: 'moop-vol-1', mountPath: '/moop/student', subPath: 'home/student49' },
        ],
        [
          { name: 'moop-vol-0', mountPath: '/moop/source', readOnly: true },
          { name: 'moop-vol-1', mountPath: '/moop/student', subPath: 'home/student50' },
        ],
      ],
    ]);
  });

  it('distributes from the shared claim itself: one volume, read-only only at the source mount', async () => {
    const everyone = await claim('moop');
    const plan = await planOperation(
      scope,
      distribution({ source: { username: 'moop', subpath: 'course' }, students: roster(['alice']), shared }),
    );
    expect(plan.copies).toEqual([
      {
        batch: 0,
        students: [0],
        parts: [
          {
            name: 'student-0',
            cmd: copyScript,
            env: scriptEnv({
              job: 'distribute-keep',
              from: '/moop/source/course',
              fromRoot: '/moop/source',
              to: '/moop/student',
              toRoot: '/moop/student',
            }),
            vols: [
              { pvc: everyone, mount: '/moop/source', readOnly: true },
              { pvc: everyone, mount: '/moop/student', subpath: 'home/alice' },
            ],
          },
        ],
        readOnlyClaims: [],
      },
    ]);
  });

  it("collects 50 students in copies of 24, 24 and 2: the shared claim read-only, the student's folder its root", async () => {
    const destination = await claim('teacher');
    const everyone = await claim('moop');
    const names = usernames(50);

    const plan = await planOperation(scope, collection({ students: roster(names), subpath: 'hw', shared }));

    expect(plan.copies.map((c) => [c.students.length, claimsOf(c), c.readOnlyClaims])).toEqual([
      [24, [everyone, destination], [everyone]],
      [24, [everyone, destination], [everyone]],
      [2, [everyone, destination], [everyone]],
    ]);
    expect(plan.copies.flatMap((c) => c.parts)).toEqual(
      names.map((username, index) => ({
        name: `student-${index}`,
        cmd: copyScript,
        env: {
          MOOP_JOB: 'collect',
          MOOP_FROM: `/moop/student/home/${username}/hw`,
          MOOP_FROM_ROOT: `/moop/student/home/${username}`,
          MOOP_TO: '/moop/destination',
          MOOP_TO_ROOT: '/moop/destination',
          MOOP_CUTOFF: '',
          MOOP_RESULT: '/dev/termination-log',
        },
        vols: [
          { pvc: everyone, mount: '/moop/student', readOnly: true },
          { pvc: destination, mount: '/moop/destination', subpath: `collected/hw1/${username}` },
        ],
      })),
    );
  });

  it('places every student in the shared claim, whether or not they have claims of their own', async () => {
    await claim('teacher');
    const everyone = await claim('moop');
    await claim('alice', 'Pending');
    const plan = await planOperation(scope, collection({ students: roster(['alice', 'bob']), shared }));
    expect(plan.students).toEqual([
      { index: 0, username: 'alice', tag: 'default', claim: everyone },
      { index: 1, username: 'bob', tag: 'default', claim: everyone },
    ]);
  });
});

describe("a plan's copy rendered", () => {
  const labels = { [operationLabel]: 'op-abcdefghij0123456789' };
  const confined = { capabilities: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID'] } };
  const envOf = (env: Record<string, string>) => Object.entries(env).map(([name, value]) => ({ name, value }));

  it("is a Pod of one container per student, its env the script's, its result in the termination message, labelled", async () => {
    const source = await claim('teacher');
    const alice = await claim('alice');
    const bob = await claim('bob');
    const plan = await planOperation(scope, distribution({ students: roster(['alice', 'bob']), subpath: 'ds101' }));
    const [first, second] = plan.copies[0]!.parts;

    const pod = renderWork(scope, plan.copies[0]!, { random: 'abcdefgh', labels });

    const container = (name: string, env: Record<string, string>, pvc: string): V1Container => ({
      args: ['/bin/sh', '-c', copyScript],
      image: 'registry.mooplab.com:8443/gitbox/alpine-git:lastest',
      imagePullPolicy: 'IfNotPresent',
      name,
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      env: envOf(env),
      volumeMounts: [
        { name: 'moop-vol-0', mountPath: '/moop/source', readOnly: true },
        { name: pvc === alice ? 'moop-vol-1' : 'moop-vol-2', mountPath: '/moop/student' },
      ],
      securityContext: confined,
    });
    expect(pod).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `job-${a.id}-abcdefgh`,
        namespace: 'tenant-a',
        labels: { ...ownerLabels({ tenant: a.id }), ...labels },
        annotations: { 'moop.io/tenant': a.id },
      },
      spec: {
        containers: [container('student-0', first!.env!, alice), container('student-1', second!.env!, bob)],
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        activeDeadlineSeconds: 600,
        volumes: [
          { name: 'moop-vol-0', persistentVolumeClaim: { claimName: source, readOnly: true } },
          { name: 'moop-vol-1', persistentVolumeClaim: { claimName: alice } },
          { name: 'moop-vol-2', persistentVolumeClaim: { claimName: bob } },
        ],
      },
    });
    expect(first!.env).toEqual(
      scriptEnv({
        job: 'distribute-keep',
        from: '/moop/source/course/week1',
        fromRoot: '/moop/source',
        to: '/moop/student/ds101',
        toRoot: '/moop/student',
      }),
    );
  });

  it("is, for a tenant whose template is a Job, a Job whose pods carry the operation's label too", async () => {
    const jobScope: TenantScope = { ...renderScope(b), resources };
    const source = await claim('teacher', 'Bound', { s: jobScope });
    const alice = await claim('alice', 'Bound', { s: jobScope });
    const plan = await planOperation(jobScope, collection({ students: roster(['alice']) }, b.id));

    const job = renderWork(jobScope, plan.copies[0]!, { random: 'abcdefgh', labels }) as V1Job;

    const spec = job.spec!.template.spec as V1PodSpec;
    expect({
      kind: job.kind,
      name: job.metadata!.name,
      jobLabels: job.metadata!.labels,
      podLabels: job.spec!.template.metadata!.labels,
      containers: spec.containers,
      volumes: spec.volumes,
    }).toEqual({
      kind: 'job',
      name: `job-${b.id}-abcdefgh`,
      jobLabels: { ...ownerLabels({ tenant: b.id }), ...labels },
      podLabels: { ...ownerLabels({ tenant: b.id }), ...labels },
      containers: [
        {
          args: ['/bin/sh', '-c', copyScript],
          image: 'busybox:1.28.4',
          imagePullPolicy: 'IfNotPresent',
          name: 'student-0',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          env: envOf(plan.copies[0]!.parts[0]!.env!),
          volumeMounts: [
            { name: 'moop-vol-0', mountPath: '/moop/student', readOnly: true },
            { name: 'moop-vol-1', mountPath: '/moop/destination', subPath: 'collected/hw1/alice' },
          ],
          securityContext: confined,
        },
      ],
      volumes: [
        { name: 'moop-vol-0', persistentVolumeClaim: { claimName: alice, readOnly: true } },
        { name: 'moop-vol-1', persistentVolumeClaim: { claimName: source } },
      ],
    });
  });
});
