// Attacks through the HTTP API with a valid key: a student who chooses their own username and tag, or a school's
// caller, reaching another student's volume, blocking their name for good, or mounting what the service never made.
import { objectName } from '../../../lib/kube/names.ts';
import { tenants } from '../../fixtures/tenants.ts';
import type { ClaimAnswer, VolumeAnswer } from '../../support/answers.ts';
import { call } from '../../support/api.ts';
import { admin, eventually } from '../../support/cluster.ts';
import { byUserPrefix, managedNames, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const prefix = userPrefix('rq');
const tenant = tenants.a.id;
const namespace = 'tenant-a';
const { core } = admin();
const strangers = ['hub-db-dir', `claim-${prefix}alice`];

afterAll(async () => {
  await sweep(byUserPrefix(prefix));
  for (const name of strangers)
    await core.deleteNamespacedPersistentVolumeClaim({ name, namespace }).catch(() => undefined);
});

const pvs = '/service/v1/volumes/pvs';
const pvcs = '/service/v1/volumes/pvcs';
const claimOf = async (name: string) =>
  core.readNamespacedPersistentVolumeClaim({ name, namespace }).catch(() => undefined);

describe("a student who picks a username and tag that render another student's names", () => {
  // User "<p>a-b" with tag "c" and user "<p>a" with tag "b-c" both render pv-<id>-<p>a-b-c and pvc-<id>-<p>a-b-c.
  const victim = { tenant, username: `${prefix}a-b`, tag: 'c' };
  const squatter = { tenant, username: `${prefix}a`, tag: 'b-c' };
  const [pv, pvc] = [`pv-${tenant}-${prefix}a-b-c`, `pvc-${tenant}-${prefix}a-b-c`];

  it("never gets a claim of the name the victim's volume is reserved for, plain or match, and nothing is made", async () => {
    expect((await call('POST', pvs, { body: { ...victim, path: 'tenant-a/victim' } })).status).toBe(201);
    const before = await managedNames();
    for (const match of [false, true]) {
      expect(await call('POST', pvcs, { body: { ...squatter, match } })).toEqual({
        status: 409,
        body: {
          error: `The name ${pvc} is reserved by volume ${pv} for another tenant, user or tag; nothing was made.`,
          code: 'NAME_TAKEN',
          details: { name: pvc, volume: pv },
        },
      });
    }
    expect(await managedNames()).toEqual(before);
    expect(await claimOf(pvc)).toBeUndefined();
  });

  it("and the victim's own claim binds the victim's volume", async () => {
    expect((await call('POST', pvcs, { body: { ...victim, match: true } })).status).toBe(201);
    const bound = await eventually("the victim's claim to bind", async () => {
      const claim = await claimOf(pvc);
      return claim?.status?.phase === 'Bound' ? claim : undefined;
    });
    expect([bound.spec?.volumeName, bound.metadata?.annotations?.['moop.io/user']]).toEqual([pv, victim.username]);
  });

  it("never has a volume reserved for the victim's claim, made first: the victim's claim would bind the squatter's folder", async () => {
    const first = { tenant, username: `${prefix}x`, tag: 'y-z' };
    const later = { tenant, username: `${prefix}x-y`, tag: 'z' };
    const name = `pvc-${tenant}-${prefix}x-y-z`;
    expect((await call('POST', pvcs, { body: first })).status).toBe(201);
    const before = await managedNames();
    expect(await call('POST', pvs, { body: { ...later, path: 'tenant-a' } })).toEqual({
      status: 409,
      body: {
        error: `The claim ${name} this volume would be reserved for is another tenant's, user's or tag's; nothing was made.`,
        code: 'NAME_TAKEN',
        details: { name },
      },
    });
    expect(await managedNames()).toEqual(before);
  });
});

describe('escaped names nobody can precompute', () => {
  it.each([['Élodie Ü.'], ['Jean-Luc Picard@uni']])(
    "a student whose username renders %s's escaped claim name of before NAME_KEY neither blocks nor binds them",
    async (raw) => {
      const victim = { tenant, username: `${prefix}${raw}`, tag: 'default' };
      // What anyone could compute before: the claim name escaped with the plain SHA-256 of the raw values.
      const squatted = objectName(
        `pvc-${tenant}-${victim.username}-default`,
        [tenant, victim.username, 'default'],
        'subdomain',
        { legacy: true },
      );
      const [, user, tag] = /^pvc-[0-9a-f]{24}-(.+)-([a-z2-7]{10})$/.exec(squatted)!;
      const squatter = { tenant, username: user!, tag: tag! };
      const made = await call<ClaimAnswer>('POST', pvcs, { body: { ...squatter, match: true } });
      expect([made.status, made.body.metadata.name]).toEqual([201, squatted]);

      const volume = await call<VolumeAnswer>('POST', pvs, { body: { ...victim, path: 'tenant-a/victim' } });
      const claim = await call<ClaimAnswer>('POST', pvcs, { body: { ...victim, match: true } });
      expect([volume.status, claim.status]).toEqual([201, 201]);
      expect(claim.body.metadata.name).toMatch(/-[a-z2-7]{10}$/);
      expect(claim.body.metadata.name).not.toBe(squatted);
      const bound = await eventually("the victim's claim to bind the victim's volume", async () => {
        const c = await claimOf(claim.body.metadata.name);
        return c?.status?.phase === 'Bound' ? c.spec?.volumeName : undefined;
      });
      expect(bound).toBe(volume.body.metadata.name);
    },
  );
});

describe('a copy mounts only claims the service made for the calling school', () => {
  beforeAll(async () => {
    for (const name of strangers) {
      await core.createNamespacedPersistentVolumeClaim({
        namespace,
        body: {
          metadata: { name },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: 'standard',
            resources: { requests: { storage: '1Gi' } },
          },
        },
      });
    }
  });

  it.each([
    ["JupyterHub's own claim (its tokens and cookie secret)", 'hub-db-dir'],
    ["a student's KubeSpawner claim", `claim-${prefix}alice`],
  ])('refuses %s with 404, as if it did not exist, and makes nothing', async (_what, pvc) => {
    const before = await managedNames();
    expect(
      await call('POST', '/service/v1/pods', {
        body: { tenant, cmd: 'cat /hub/jupyterhub.sqlite', vols: [{ pvc, mount: '/hub' }] },
      }),
    ).toEqual({
      status: 404,
      body: {
        error: `Claim(s) ${pvc} do not exist in namespace ${namespace}.`,
        code: 'CLAIM_NOT_FOUND',
        details: { claims: [pvc] },
      },
    });
    expect(await managedNames()).toEqual(before);
  });
});
