// Races: 50 identical requests at once give exactly one success, the rest the right refusal, and one object.
import { tenants } from '../../fixtures/tenants.ts';
import type { ErrorAnswer } from '../../support/answers.ts';
import { call } from '../../support/api.ts';
import { admin, until } from '../../support/cluster.ts';
import { byUserPrefix, managedNames, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const prefix = userPrefix('race');
const tenant = tenants.a.id;
const { core } = admin();

afterAll(() => sweep(byUserPrefix(prefix)));

// The races are about correctness, not cold starts: on two cores, 50 functions starting at once (each loading its
// bundle) can hold a tenant lookup past its time limit. Each route's 50 instances are started first, with requests
// that are refused before any lookup (400), as Lambda's are warm when MOOP's traffic arrives.
beforeAll(async () => {
  for (const [method, path] of [
    ['POST', '/service/v1/volumes/pvcs'],
    ['POST', '/service/v1/volumes/pvs'],
    ['DELETE', '/service/v1/volumes/pvcs'],
    ['DELETE', '/service/v1/volumes/pvs'],
  ] as const) {
    const warm = await Promise.all(
      Array.from({ length: 50 }, () => call(method, path, method === 'POST' ? { body: {} } : { query: {} })),
    );
    expect(new Set(warm.map((a) => a.status))).toEqual(new Set([400]));
  }
}, 120_000);

const times = async <T extends { status: number }>(n: number, f: () => Promise<T>): Promise<T[]> => {
  const all = await Promise.all(Array.from({ length: n }, f));
  for (const a of all) if (a.status >= 500) process.stderr.write(`unexpected ${JSON.stringify(a)}\n`);
  return all;
};
const tally = (statuses: number[]): Record<number, number> =>
  statuses.reduce<Record<number, number>>((acc, s) => {
    acc[s] = (acc[s] ?? 0) + 1;
    return acc;
  }, {});
const mine = (user: string) => async (): Promise<string[]> => await managedNames(byUserPrefix(user));

describe('50 simultaneous identical requests', () => {
  it('POST of one claim: one 201, 49 409s, one claim', async () => {
    const user = `${prefix}claim`;

    const answers = await times(50, () =>
      call('POST', '/service/v1/volumes/pvcs', { body: { tenant, username: user } }),
    );

    expect(tally(answers.map((a) => a.status))).toEqual({ 201: 1, 409: 49 });
    expect(new Set(answers.filter((a) => a.status === 409).map((a) => (a.body as ErrorAnswer).code))).toEqual(
      new Set(['ALREADY_EXISTS']),
    );
    expect(await mine(user)()).toEqual([`PersistentVolumeClaim tenant-a/pvc-${tenant}-${user}-default`]);
  });

  it('POST of one volume: one 201, 49 409s, one volume', async () => {
    const user = `${prefix}volume`;

    const answers = await times(50, () =>
      call('POST', '/service/v1/volumes/pvs', { body: { tenant, username: user, path: 'tenant-a/race' } }),
    );

    expect(tally(answers.map((a) => a.status))).toEqual({ 201: 1, 409: 49 });
    expect(await mine(user)()).toEqual([`PersistentVolume pv-${tenant}-${user}-default`]);
  });

  it('DELETE of one claim: one 200, 49 404s', async () => {
    const user = `${prefix}claim-del`;
    await call('POST', '/service/v1/volumes/pvcs', { body: { tenant, username: user } });

    const answers = await times(50, () =>
      call('DELETE', '/service/v1/volumes/pvcs', { query: { tenant, username: user } }),
    );

    expect(tally(answers.map((a) => a.status))).toEqual({ 200: 1, 404: 49 });
    await until('the claim to be gone', async () => (await mine(user)()).length === 0);
  });

  it('DELETE of one volume: one 200, 49 404s', async () => {
    const user = `${prefix}volume-del`;
    await call('POST', '/service/v1/volumes/pvs', { body: { tenant, username: user, path: 'tenant-a/race' } });

    const answers = await times(50, () =>
      call('DELETE', '/service/v1/volumes/pvs', { query: { tenant, username: user } }),
    );

    expect(tally(answers.map((a) => a.status))).toEqual({ 200: 1, 404: 49 });
    await until('the volume to be gone', async () => (await mine(user)()).length === 0);
    expect(
      (
        await core.listPersistentVolume({ labelSelector: 'app.kubernetes.io/managed-by=moop-resource-service' })
      ).items.some((pv) => pv.metadata?.name === `pv-${tenant}-${user}-default`),
    ).toBe(false);
  });
});
