import { createServer } from 'node:net';
import { NotFoundError, UnavailableError, UpstreamError, UpstreamTimeoutError } from '../../../lib/errors.ts';
import { httpTenantSource } from '../../../lib/tenants/http-source.ts';
import { faultyTenantIds, tenants } from '../../fixtures/tenants.ts';
import { startFakeTenantService, type FakeTenantService } from '../../support/tenant-service.ts';

const moopkey = 'unit-test-moopkey';
let service: FakeTenantService;

beforeAll(async () => {
  service = await startFakeTenantService(Object.values(tenants), moopkey, 500);
});
afterAll(() => service.close());

const source = (key = moopkey, timeoutMs = 200) => httpTenantSource({ url: service.url, moopkey: async () => key, timeoutMs });

describe('httpTenantSource', () => {
  it('returns the tenant the service answers with', async () => {
    await expect(source()(tenants.a.id)).resolves.toEqual(tenants.a);
  });

  it.each([
    ['an unknown id', 'nobody', NotFoundError, 'TENANT_NOT_FOUND', 'No tenant nobody.'],
    ['HTTP 500', faultyTenantIds.error, UpstreamError, 'TENANT_SERVICE_FAILED', `The tenant service failed with HTTP 500 for tenant ${faultyTenantIds.error}.`],
    ['a body that is not JSON', faultyTenantIds.garbage, UpstreamError, 'TENANT_SERVICE_INVALID', `The tenant service answered tenant ${faultyTenantIds.garbage} with something that is not JSON.`],
    ['JSON that is not a tenant', faultyTenantIds.notATenant, UpstreamError, 'TENANT_SERVICE_INVALID', `The tenant service's answer for tenant ${faultyTenantIds.notATenant} is not a tenant of that id.`],
    ['a slow answer', faultyTenantIds.slow, UpstreamTimeoutError, 'TENANT_SERVICE_TIMEOUT', 'The tenant service did not answer within 200 ms.'],
  ])('maps %s to its error', async (_what, id, Kind, code, message) => {
    const err = await source()(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Kind);
    expect(err).toMatchObject({ code, message });
  });

  it('says the service refused the key when it answers 401', async () => {
    await expect(source('wrong-key')(tenants.a.id)).rejects.toMatchObject({
      code: 'TENANT_SERVICE_FAILED',
      message: `The tenant service failed with HTTP 401 for tenant ${tenants.a.id}: it refused the moopkey.`,
    });
  });

  it('maps a dropped connection to 503', async () => {
    await expect(source()(faultyTenantIds.hangUp)).rejects.toBeInstanceOf(UnavailableError);
  });

  it('maps a service that is down (connection refused) to 503', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const down = httpTenantSource({ url: `http://127.0.0.1:${port}/service/v1/tenants`, moopkey: async () => moopkey, timeoutMs: 1000 });
    await expect(down(tenants.a.id)).rejects.toMatchObject({ code: 'TENANT_SERVICE_UNAVAILABLE', message: 'The tenant service cannot be reached (ECONNREFUSED).' });
  });

  it('sends the id URL-encoded and the key in the moopkey header', async () => {
    const before = service.requests('a/b');
    await source()('a/b').catch(() => undefined);
    expect(service.requests('a/b')).toBe(before + 1);
  });
});
