// MOOP's own callers, replayed as the real platform makes its calls (../shared/REAL-MOOP.md): the tenant bootstrap of
// moop-tools (POST pv, poll GET pv, POST match pvc, poll GET pvc, roll back), and the names the launcher computes.
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import { tenants } from '../../fixtures/tenants.ts';
import type { ClaimAnswer, CopyAnswer, VolumeAnswer } from '../../support/answers.ts';
import { type ApiAnswer, call } from '../../support/api.ts';
import { admin, statusOfCall, until } from '../../support/cluster.ts';
import { byUserPrefix, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const prefix = userPrefix('moop');
const { core } = admin();
afterAll(() => sweep(byUserPrefix(prefix)));

/** moop-tools' wait: GET once a second until 200 with a phase other than Pending; any other status gives up. */
async function pollUntilNotPending<T extends VolumeAnswer | ClaimAnswer>(
  path: string,
  query: Record<string, string>,
  limitSeconds = 30,
): Promise<ApiAnswer<T>> {
  for (let i = 0; i < limitSeconds; i++) {
    const answer = await call<T>('GET', path, { query });
    if (answer.status !== 200) return answer;
    if (answer.body.status?.phase !== 'Pending') return answer;
    await sleep(1000);
  }
  throw new Error(`${path} stayed Pending for ${limitSeconds} s`);
}

describe('the MOOP tenant bootstrap (moop-tools tenant.py), replayed', () => {
  it("creates the tenant's volume and claim, sees each leave Pending, and its rollback removes both", async () => {
    const tenant = tenants.a.id;
    const namespace = 'tenant-a';
    const query = { tenant, username: 'super', tag: namespace };

    await call('POST', '/service/v1/volumes/pvs', { body: { ...query, path: namespace } }); // answer ignored, as tenant.py does
    const volume = await pollUntilNotPending<VolumeAnswer>('/service/v1/volumes/pvs', query);
    expect(volume.status).toBe(200);
    expect(volume.body.metadata.name).toBe(`pv-${tenant}-super-${namespace}`);
    expect(volume.body.status?.phase).toBe('Available');
    expect(volume.body.spec?.nfs).toEqual({ server: '10.0.0.2', path: `/exports/moop/${namespace}` });

    await call('POST', '/service/v1/volumes/pvcs', { body: { ...query, match: true } });
    const claim = await pollUntilNotPending<ClaimAnswer>('/service/v1/volumes/pvcs', query);
    expect(claim.status).toBe(200);
    expect(claim.body.metadata.name).toBe(`pvc-${tenant}-super-${namespace}`);
    expect(claim.body.status?.phase).toBe('Bound');
    expect(claim.body.spec?.volumeName).toBe(volume.body.metadata.name);

    // The rollback, as tenant.py sends it on failure: claim first, then volume, answers ignored.
    expect((await call('DELETE', '/service/v1/volumes/pvcs', { query })).status).toBe(200);
    expect((await call('DELETE', '/service/v1/volumes/pvs', { query })).status).toBe(200);
    // Both finish going once the protection finalizers let go.
    await until('the claim and the volume to be gone', async () => {
      const codes = await Promise.all([
        statusOfCall(core.readNamespacedPersistentVolumeClaim({ name: claim.body.metadata.name, namespace })),
        statusOfCall(core.readPersistentVolume({ name: volume.body.metadata.name })),
      ]);
      return codes.every((c) => c === 404);
    });
  });
});

describe('names callers compute', () => {
  it('serves pvc-<tenant>-john.doe-default under exactly that name, and a copy mounts it by that name', async () => {
    const tenant = tenants.a.id;
    const username = `${prefix}john.doe`;
    const computed = { pv: `pv-${tenant}-${username}-default`, pvc: `pvc-${tenant}-${username}-default` };

    const volume = await call<VolumeAnswer>('POST', '/service/v1/volumes/pvs', {
      body: { tenant, username, path: 'tenant-a/john.doe' },
    });
    const claim = await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', {
      body: { tenant, username, match: true },
    });

    expect([volume.status, volume.body.metadata.name]).toEqual([201, computed.pv]);
    expect([claim.status, claim.body.metadata.name]).toEqual([201, computed.pvc]);
    expect(volume.body.metadata.labels?.pv).toBe(computed.pv);
    expect(claim.body.spec?.selector).toEqual({
      matchLabels: {
        pv: computed.pv,
        'app.kubernetes.io/managed-by': 'moop-resource-service',
        'moop.io/tenant': tenant,
      },
    });
    const copy = await call<CopyAnswer<V1Pod>>('POST', '/service/v1/pods', {
      body: { tenant, cmd: 'ls /home/jovyan', vols: [{ pvc: computed.pvc, mount: '/home/jovyan', subpath: '' }] },
    });
    expect(copy.status).toBe(201);
    expect(copy.body.spec?.volumes).toEqual([
      { name: 'moop-vol-0', persistentVolumeClaim: { claimName: computed.pvc } },
    ]);
    expect(
      (await call('DELETE', '/service/v1/pods', { query: { tenant, name: copy.body.metadata.name } })).status,
    ).toBe(200);
  });
});
