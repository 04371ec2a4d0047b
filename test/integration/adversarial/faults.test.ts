// Faults upstream: the API server stopped or frozen mid-run, the tenant service slow or broken, and the API server
// refusing requests. Each gives its status quickly, and the service recovers by itself.
import { faultyTenantIds, tenants } from '../../fixtures/tenants.ts';
import { installRefusal, removeRefusal } from '../../support/admission.ts';
import type { ErrorAnswer } from '../../support/answers.ts';
import { call } from '../../support/api.ts';
import {
  admin,
  pauseApiServer,
  resumeApiServer,
  startApiServer,
  statusOfCall,
  stopApiServer,
  until,
} from '../../support/cluster.ts';
import { byUserPrefix, managedNames, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const prefix = userPrefix('faults');
const tenant = tenants.a.id;
const pvs = '/service/v1/volumes/pvs';

afterAll(() => sweep(byUserPrefix(prefix)));

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = Date.now();
  const value = await work();
  return { ms: Date.now() - started, value };
}

describe('when the API server goes away mid-run', () => {
  it('answers 503 within a few seconds while it is stopped, and recovers by itself when it returns', async () => {
    const user = `${prefix}alice`;
    await call('POST', pvs, { body: { tenant, username: user, path: 'tenant-a/a' } });
    // Warm: a cold serverless-offline worker may take seconds to start on a loaded machine, which is not the point
    // here.
    expect((await call('GET', pvs, { query: { tenant, username: user } })).status).toBe(200);
    const statuses: number[] = [];
    let running = true;
    const load = (async () => {
      while (running) {
        const { ms, value } = await timed(() => call('GET', pvs, { query: { tenant, username: user } }));
        expect(ms).toBeLessThan(3000);
        statuses.push(value.status);
      }
    })();

    await until('some answers before the outage', async () => statuses.length >= 5);
    await stopApiServer();
    await until('503s during the outage', async () => statuses.filter((s) => s === 503).length >= 5);
    await startApiServer();
    const okAgain = statuses.length;
    await until('200s after the outage', async () => statuses.slice(okAgain).filter((s) => s === 200).length >= 5);
    running = false;
    await load;

    expect(new Set(statuses)).toEqual(new Set([200, 503]));
    const down = await call('GET', pvs, { query: { tenant, username: user } });
    expect(down.status).toBe(200);
  });

  it('answers 504 within its time limit while it hangs, and recovers when it wakes', async () => {
    const user = `${prefix}bob`;
    await call('POST', pvs, { body: { tenant, username: user, path: 'tenant-a/b' } });
    expect((await call('GET', pvs, { query: { tenant, username: user } })).status).toBe(200); // warm: discovery and tenant cached
    await pauseApiServer();
    let hung: Awaited<ReturnType<typeof timed<Awaited<ReturnType<typeof call>>>>>;
    try {
      hung = await timed(() => call('GET', pvs, { query: { tenant, username: user } }));
    } finally {
      await resumeApiServer();
    }

    expect(hung.value).toEqual({
      status: 504,
      body: {
        error: expect.stringMatching(/^The Kubernetes API server at .* did not answer in time$/),
        code: 'KUBERNETES_TIMEOUT',
      },
    });
    expect(hung.ms).toBeGreaterThanOrEqual(3900);
    expect(hung.ms).toBeLessThan(6000);
    await until(
      'the service to answer again',
      async () => (await call('GET', pvs, { query: { tenant, username: user } })).status === 200,
    );
  });
});

describe('when the tenant service misbehaves', () => {
  it.each([
    ['slow', faultyTenantIds.slow, 504, 'TENANT_SERVICE_TIMEOUT'],
    ['answering 500', faultyTenantIds.error, 502, 'TENANT_SERVICE_FAILED'],
    ['answering garbage', faultyTenantIds.garbage, 502, 'TENANT_SERVICE_INVALID'],
    ['hanging up', faultyTenantIds.hangUp, 503, 'TENANT_SERVICE_UNAVAILABLE'],
  ])('answers a tenant service that is %s with its status within its 2.5 s limit', async (_what, id, status, code) => {
    const { ms, value } = await timed(() => call('GET', pvs, { query: { tenant: id, username: 'x' } }));

    expect(value).toEqual({ status, body: { error: expect.any(String), code } });
    expect(ms).toBeLessThan(4000);
  });
});

describe('when the API server refuses', () => {
  const policy = `faults-refuse-${prefix.slice(-7, -1)}`;

  afterAll(() => removeRefusal(policy));

  it("answers an admission policy's 403 with 422 REFUSED_BY_POLICY, its 409 with 409 and its 422 with 422, creating nothing", async () => {
    // The API server's own admission control refuses, with reason Forbidden (HTTP 403), claims of one user.
    const forbidden = `${prefix}forbidden`;
    await installRefusal({
      name: policy,
      operation: 'CREATE',
      resource: 'persistentvolumeclaims',
      allowWhen: `object.metadata.annotations['moop.io/user'] != '${forbidden}'`,
      reason: 'Forbidden',
    });
    const probe = {
      metadata: { name: 'probe', annotations: { 'moop.io/user': forbidden } },
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Mi' } } },
    };
    await until(
      'the policy to take effect',
      async () =>
        (await statusOfCall(
          admin().core.createNamespacedPersistentVolumeClaim({ namespace: 'tenant-a', body: probe, dryRun: 'All' }),
        )) === 403,
    );
    const before = await managedNames();

    const refused = await call('POST', '/service/v1/volumes/pvcs', { body: { tenant, username: forbidden } });

    expect(refused).toEqual({
      status: 422,
      body: {
        error: expect.stringMatching(
          /^A policy of the cluster refused the request: .*ValidatingAdmissionPolicy .* denied request: .*refuses this request/,
        ),
        code: 'REFUSED_BY_POLICY',
      },
    });
    expect(await managedNames()).toEqual(before);

    const user = `${prefix}carol`;
    expect((await call('POST', '/service/v1/volumes/pvcs', { body: { tenant, username: user } })).status).toBe(201);
    expect(
      (await call<ErrorAnswer>('POST', '/service/v1/volumes/pvcs', { body: { tenant, username: user } })).body.code,
    ).toBe('ALREADY_EXISTS');
    expect(
      (
        await call('POST', pvs, {
          body: { tenant: tenants.rejectedTemplate.id, username: user, path: 'tenant-rejected/x' },
        })
      ).status,
    ).toBe(422);
  });
});
