// A class in one call, against an in-memory cluster: one result per student whatever the others do, the tail not
// reached before the deadline reported as such, a retried key answering the first outcome, and removal at term's end.
import type { KubernetesObject } from '@kubernetes/client-node';
import { ConflictError } from '../../../lib/errors.ts';
import { markOwned } from '../../../lib/ownership/ownership.ts';
import { provisionRoster, removeRoster } from '../../../lib/provisioning/roster.ts';
import type { TenantScope } from '../../../lib/tenants/scope.ts';
import { createVolume } from '../../../lib/volumes/volumes.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';
import { renderScope } from '../../support/scope.ts';

const id = tenants.a.id;
const volumeName = (user: string) => `pv-${id}-${user}-default`;
const claimName = (user: string) => `pvc-${id}-${user}-default`;
const entry = (username: string) => ({ username, path: `tenant-a/${username}` });
const later = () => ({ deadline: Date.now() + 60_000 });

let resources: FakeResources;
let scope: TenantScope;
const count = (kind: string) => [...resources.objects.values()].filter((o) => o.kind === kind).length;
const creates = () => resources.calls.filter((c) => c.startsWith('create'));

beforeEach(() => {
  resources = new FakeResources();
  scope = { ...renderScope(tenants.a), resources };
});

describe('provisionRoster', () => {
  it("answers each student's own result: made, already there, a bad username, a name another owner holds", async () => {
    await createVolume(scope, { username: 'bea', tag: 'default', path: 'tenant-a/bea' });
    await resources.seed({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: volumeName('cid') } });
    const body = {
      tenant: id,
      students: [entry('ann'), entry('bea'), { username: '../x', path: 'tenant-a/x' }, entry('cid'), entry('ann')],
      wait: 0,
    };
    const outcome = await provisionRoster(scope, body, later());
    expect(outcome).toEqual({
      summary: { created: 2, existing: 0, failed: 3, notAttempted: 0 },
      results: [
        { ...made('ann'), status: 'created', httpStatus: 201 },
        { ...made('bea'), status: 'created', httpStatus: 201 },
        {
          username: '../x',
          tag: 'default',
          status: 'failed',
          httpStatus: 400,
          code: 'INVALID_REQUEST',
          message: expect.stringMatching(/^username: /),
        },
        {
          username: 'cid',
          tag: 'default',
          status: 'failed',
          httpStatus: 409,
          code: 'NAME_TAKEN',
          message: expect.any(String),
        },
        {
          username: 'ann',
          tag: 'default',
          status: 'failed',
          httpStatus: 400,
          code: 'INVALID_REQUEST',
          message: 'ann (tag default) is listed twice; the first entry counts.',
        },
      ],
    });
  });

  it('answers a student who has everything as existing, making nothing', async () => {
    await provisionRoster(scope, { tenant: id, students: [entry('dee')], wait: 0 }, later());
    resources.calls.length = 0;
    const again = await provisionRoster(scope, { tenant: id, students: [entry('dee')], wait: 0 }, later());
    expect(again.results).toEqual([{ ...made('dee'), status: 'existing', httpStatus: 200 }]);
    expect(creates()).toEqual([]);
  });

  it('reads what exists with one list of volumes and one of claims, never a read per student', async () => {
    const students = Array.from({ length: 30 }, (_, i) => entry(`s${i}`));
    await provisionRoster(scope, { tenant: id, students, wait: 0 }, later());
    resources.calls.length = 0;
    await provisionRoster(scope, { tenant: id, students, wait: 0 }, later());
    expect(resources.calls).toEqual(['list PersistentVolume ', 'list PersistentVolumeClaim tenant-a']);
  });

  it('lets the tail fail on a used-up quota, leaving no volume without its claim', async () => {
    let claims = 0;
    const create = resources.create.bind(resources);
    resources.create = async <T extends KubernetesObject>(obj: T) => {
      if (obj.kind === 'PersistentVolumeClaim' && ++claims > 3) {
        throw new ConflictError('exceeded quota: claims, requested: persistentvolumeclaims=1', {
          code: 'QUOTA_EXCEEDED',
        });
      }
      return create(obj);
    };
    const students = ['e1', 'e2', 'e3', 'e4', 'e5'].map(entry);
    const outcome = await provisionRoster(scope, { tenant: id, students, wait: 0 }, later());
    expect(outcome.summary).toEqual({ created: 3, existing: 0, failed: 2, notAttempted: 0 });
    expect(outcome.results.slice(3).map((r) => [r.username, r.httpStatus, r.code])).toEqual([
      ['e4', 409, 'QUOTA_EXCEEDED'],
      ['e5', 409, 'QUOTA_EXCEEDED'],
    ]);
    expect([count('PersistentVolume'), count('PersistentVolumeClaim')]).toEqual([3, 3]);
  });

  it('answers the students not reached before the deadline as not attempted, so only they are sent again', async () => {
    const outcome = await provisionRoster(
      scope,
      { tenant: id, students: [entry('f1'), entry('f2')], wait: 0 },
      {
        deadline: Date.now() + 1000,
      },
    );
    expect(outcome).toEqual({
      summary: { created: 0, existing: 0, failed: 0, notAttempted: 2 },
      results: ['f1', 'f2'].map((username) => ({
        username,
        tag: 'default',
        status: 'not_attempted',
        httpStatus: 504,
        code: 'DEADLINE_EXCEEDED',
        message: "Not attempted: the request's time ran out first; send this student again.",
      })),
    });
    expect(creates()).toEqual([]);
  });

  it('answers a retry with the same Idempotency-Key with the first outcome, and refuses the key for another roster', async () => {
    const body = { tenant: id, students: [entry('gus')], wait: 0 };
    const first = await provisionRoster(scope, body, { ...later(), idempotencyKey: 'term-1' });
    await removeRoster(scope, { tenant: id, students: [{ username: 'gus' }], force: false }, later());
    resources.calls.length = 0;
    expect(await provisionRoster(scope, body, { ...later(), idempotencyKey: 'term-1' })).toEqual(first);
    expect(creates()).toEqual([]);
    const other = { ...body, students: [entry('hal')] };
    await expect(provisionRoster(scope, other, { ...later(), idempotencyKey: 'term-1' })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it("keeps the outcome in a ConfigMap of the records namespace (never the tenant's), marked as the service's and named for the tenant", async () => {
    await provisionRoster(
      scope,
      { tenant: id, students: [entry('ida')], wait: 0 },
      { ...later(), idempotencyKey: 'k' },
    );
    const kept = [...resources.objects.values()].filter((o) => o.kind === 'ConfigMap');
    expect(
      kept.map((c) => [c.metadata?.namespace, c.metadata?.name?.startsWith(`outcome-${id}-`), c.metadata?.labels]),
    ).toEqual([
      [
        'moop-records',
        true,
        {
          'moop.io/outcome-of': 'rosters',
          'app.kubernetes.io/managed-by': 'moop-resource-service',
          'moop.io/tenant': id,
        },
      ],
    ]);
  });
});

describe('provisionRoster, asked to tell', () => {
  it('hands the notices the claims as the wait saw them: Bound to their volumes', async () => {
    const told: unknown[] = [];
    setTimeout(() => {
      const ref = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'tenant-a', name: claimName('pam') };
      void resources.mergePatch(ref, { spec: { volumeName: volumeName('pam') }, status: { phase: 'Bound' } });
    }, 100);
    await provisionRoster(
      scope,
      { tenant: id, students: [entry('pam')], wait: 5 },
      {
        ...later(),
        tell: async (claims) => void told.push(...claims),
      },
    );
    expect(told).toMatchObject([
      {
        username: 'pam',
        object: {
          kind: 'PersistentVolumeClaim',
          metadata: { name: claimName('pam') },
          spec: { volumeName: volumeName('pam') },
          status: { phase: 'Bound' },
        },
      },
    ]);
  });
});

describe('removeRoster', () => {
  it("removes each student's claim and volume, reports those with nothing as absent and a mounted claim as 409", async () => {
    await provisionRoster(scope, { tenant: id, students: ['jan', 'kit'].map(entry), wait: 0 }, later());
    await resources.seed(
      markOwned(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'copy-kit', namespace: 'tenant-a' },
          spec: { containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: claimName('kit') } }] },
        },
        { tenant: id },
      ),
    );
    const students = [{ username: 'jan' }, { username: 'kit' }, { username: 'lou' }];
    const outcome = await removeRoster(scope, { tenant: id, students, force: false }, later());
    expect(outcome).toEqual({
      summary: { removed: 1, absent: 1, failed: 1, notAttempted: 0 },
      results: [
        {
          username: 'jan',
          tag: 'default',
          status: 'removed',
          httpStatus: 200,
          claim: claimName('jan'),
          volume: volumeName('jan'),
        },
        {
          username: 'kit',
          tag: 'default',
          status: 'failed',
          httpStatus: 409,
          code: 'CLAIM_IN_USE',
          message: `Claim ${claimName('kit')} is still mounted by pod(s) copy-kit; delete them first or pass force=true.`,
        },
        {
          username: 'lou',
          tag: 'default',
          status: 'absent',
          httpStatus: 404,
          code: 'OBJECT_NOT_FOUND',
          message: `No volume or claim for tenant ${id}, user lou, tag default.`,
        },
      ],
    });
    const forced = await removeRoster(scope, { tenant: id, students: [{ username: 'kit' }], force: true }, later());
    expect(forced.summary).toEqual({ removed: 1, absent: 0, failed: 0, notAttempted: 0 });
  });
});

function made(user: string) {
  return { username: user, tag: 'default', volume: volumeName(user), claim: claimName(user), bound: false };
}
