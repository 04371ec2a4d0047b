// A user's claim deleted and made again binds the user's own volume again within seconds, not at the next cleanup:
// the user's data must never look lost. Nobody else's volume is touched on the way.
import { tenants } from '../../fixtures/tenants.ts';
import type { ClaimAnswer, VolumeAnswer } from '../../support/answers.ts';
import { call } from '../../support/api.ts';
import { admin, eventually, statusOfCall, until } from '../../support/cluster.ts';
import { byUserPrefix, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const prefix = userPrefix('rebind');
const tenant = tenants.a.id;
const namespace = 'tenant-a';
const { core } = admin();

afterAll(() => sweep(byUserPrefix(prefix)));

const phase = async (name: string): Promise<string | undefined> =>
  (await core.readPersistentVolume({ name })).status?.phase;

/** The user's volume and match claim, bound, then the claim deleted and gone: the volume is Released. */
async function releasedVolumeOf(
  user: string,
  tag = 'default',
): Promise<{ volume: string; claim: string; uid: string | undefined }> {
  const volume = (
    await call<VolumeAnswer>('POST', '/service/v1/volumes/pvs', {
      body: { tenant, username: user, tag, path: `tenant-a/${user}` },
    })
  ).body.metadata.name;
  const claim = (
    await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', { body: { tenant, username: user, tag, match: true } })
  ).body;
  await until(`${volume} to bind`, async () => (await phase(volume)) === 'Bound');
  expect((await call('DELETE', '/service/v1/volumes/pvcs', { query: { tenant, username: user, tag } })).status).toBe(
    200,
  );
  await until(
    `${volume} to be Released`,
    async () =>
      (await phase(volume)) === 'Released' &&
      (await statusOfCall(core.readNamespacedPersistentVolumeClaim({ name: claim.metadata.name, namespace }))) === 404,
  );
  return { volume, claim: claim.metadata.name, uid: claim.metadata.uid };
}

describe('a claim made again', () => {
  it("binds the user's Released volume again within seconds, data path kept, with no cleanup run", async () => {
    const user = `${prefix}alice`;
    const before = await releasedVolumeOf(user);

    const again = await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', {
      body: { tenant, username: user, match: true },
    });

    expect(again.status).toBe(201);
    expect(again.body.metadata.uid).not.toBe(before.uid);
    const bound = await eventually(
      'the new claim to bind the same volume',
      async () => {
        const answer = await call<ClaimAnswer>('GET', '/service/v1/volumes/pvcs', {
          query: { tenant, username: user },
        });
        return answer.body.status?.phase === 'Bound' ? answer.body : undefined;
      },
      15_000,
    );
    expect(bound.spec?.volumeName).toBe(before.volume);
    const pv = await core.readPersistentVolume({ name: before.volume });
    expect([pv.spec?.claimRef?.name, pv.spec?.claimRef?.uid, pv.spec?.nfs?.path]).toEqual([
      before.claim,
      again.body.metadata.uid,
      `/exports/moop/tenant-a/${user}`,
    ]);
  });

  it("leaves another user's Released volume Released", async () => {
    const other = await releasedVolumeOf(`${prefix}bob`);
    const user = `${prefix}carol`;
    await releasedVolumeOf(user);

    expect(
      (await call('POST', '/service/v1/volumes/pvcs', { body: { tenant, username: user, match: true } })).status,
    ).toBe(201);

    await until(
      "carol's claim to bind",
      async () =>
        (await call<ClaimAnswer>('GET', '/service/v1/volumes/pvcs', { query: { tenant, username: user } })).body.status
          ?.phase === 'Bound',
    );
    const untouched = await core.readPersistentVolume({ name: other.volume });
    expect([untouched.status?.phase, untouched.spec?.claimRef?.uid]).toEqual(['Released', other.uid]);
  });
});

describe('a plain claim (match: false) of a user who has an NFS volume', () => {
  it('is refused with 409 VOLUME_RESERVED, so that it never takes the volume reserved for the match claim', async () => {
    const user = `${prefix}dora`;
    const volume = await call<VolumeAnswer>('POST', '/service/v1/volumes/pvs', {
      body: { tenant, username: user, path: `tenant-a/${user}` },
    });
    expect(volume.status).toBe(201);

    const plain = await call('POST', '/service/v1/volumes/pvcs', { body: { tenant, username: user } });

    expect(plain).toEqual({
      status: 409,
      body: {
        error: `User ${user} (tag default) of tenant ${tenant} has an NFS volume, ${volume.body.metadata.name}, reserved for their match claim; create the claim with match: true.`,
        code: 'VOLUME_RESERVED',
        details: { volume: volume.body.metadata.name },
      },
    });
    expect(
      await statusOfCall(
        core.readNamespacedPersistentVolumeClaim({ name: `pvc-${tenant}-${user}-default`, namespace }),
      ),
    ).toBe(404);
    expect(await phase(volume.body.metadata.name)).toBe('Available');
    // The match claim still binds it.
    expect(
      (await call('POST', '/service/v1/volumes/pvcs', { body: { tenant, username: user, match: true } })).status,
    ).toBe(201);
    await until('the match claim to bind', async () => (await phase(volume.body.metadata.name)) === 'Bound');
  });

  it('of another tag is made as the template says, and leaves the volume alone', async () => {
    const user = `${prefix}ezra`;
    const volume = (
      await call<VolumeAnswer>('POST', '/service/v1/volumes/pvs', {
        body: { tenant, username: user, path: `tenant-a/${user}` },
      })
    ).body.metadata.name;

    const plain = await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', {
      body: { tenant, username: user, tag: 'scratch' },
    });

    expect([plain.status, plain.body.spec?.storageClassName]).toEqual([201, 'standard']);
    expect(await phase(volume)).toBe('Available');
  });
});
