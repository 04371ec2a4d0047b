// The tenant lookup against a stand-in that answers as the real MOOP tenant service does, directly and through a
// gateway.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { depsFrom } from '../../../lib/app/deps.ts';
import { loadConfig } from '../../../lib/config/config.ts';
import { NotFoundError, UnavailableError, UpstreamError, UpstreamTimeoutError } from '../../../lib/errors.ts';
import { httpTenantSource, sendsKeyInClear } from '../../../lib/tenants/http-source.ts';
import { TenantSchema } from '../../../lib/tenants/tenant.ts';
import { createPki } from '../../../tools/cluster/pki.ts';
import { type FakeTenantService, startFakeTenantService } from '../../../tools/tenant-service.ts';
import { faultyTenantIds, realRecord, tenants, unknownTenantId } from '../../fixtures/tenants.ts';

const moopkey = 'unit-test-moopkey';
let direct: FakeTenantService;
let gateway: FakeTenantService;

beforeAll(async () => {
  direct = await startFakeTenantService([...Object.values(tenants), realRecord], { mode: 'direct' }, 500);
  gateway = await startFakeTenantService(Object.values(tenants), { mode: 'gateway', moopkey }, 500);
});
afterAll(() => Promise.all([direct.close(), gateway.close()]));

const services = (): Record<'direct' | 'gateway', FakeTenantService> => ({ direct, gateway });
const source = (service: FakeTenantService | 'direct' | 'gateway', key = moopkey, timeoutMs = 200) =>
  httpTenantSource({
    url: (typeof service === 'string' ? services()[service] : service).url,
    moopkey: async () => key,
    timeoutMs,
  });

describe('the stand-in answers as the real tenant service', () => {
  it.each([
    ['an unknown tenant', `/tenants/${unknownTenantId}`, 400, '无效的租户id'],
    ['an id that is not an ObjectId', '/tenants/demo-university', 500, 'TENANT-SERVICE 未知错误'],
    ['a wrong path', '/service/v1/tenants/5c88a9ec5b6c2e3c4a3b2d1a', 500, 'TENANT-SERVICE 未知错误'],
  ])('%s: HTTP %i with a plain/text body', async (_what, path, status, body) => {
    const response = await fetch(new URL(direct.url).origin + path);
    expect([response.status, response.headers.get('content-type'), await response.text()]).toEqual([
      status,
      'plain/text',
      body,
    ]);
  });

  it('a known tenant: the full record, with no key asked for', async () => {
    const response = await fetch(`${direct.url}/${realRecord.id}`);
    expect(response.status).toBe(200);
    expect(Object.keys((await response.json()) as object).sort()).toEqual([
      'activated',
      'createdAt',
      'id',
      'limit',
      'logo',
      'name',
      'namespace',
      'remark',
      'resources',
      'updatedAt',
    ]);
  });
});

describe('httpTenantSource', () => {
  it('returns a real record as the service answers it, extra fields kept', async () => {
    await expect(source(direct)(realRecord.id)).resolves.toEqual(realRecord);
  });

  it.each([
    ['resources {}', tenants.noTemplates],
    ['resources as a list (older records)', tenants.listResources],
  ])('accepts a record whose %s: it holds no templates', async (_what, record) => {
    const tenant = await source(direct)(record.id);
    expect(tenant.resources?.templates ?? undefined).toBeUndefined();
    expect(TenantSchema.parse(record).id).toBe(record.id);
  });

  it.each([
    [
      "the service's 400 for an unknown tenant",
      'direct',
      unknownTenantId,
      NotFoundError,
      'TENANT_NOT_FOUND',
      `No tenant ${unknownTenantId}.`,
    ],
    [
      "a gateway's 400 passed through",
      'gateway',
      unknownTenantId,
      NotFoundError,
      'TENANT_NOT_FOUND',
      `No tenant ${unknownTenantId}.`,
    ],
    [
      'HTTP 500 with its text',
      'direct',
      faultyTenantIds.error,
      UpstreamError,
      'TENANT_SERVICE_FAILED',
      `The tenant service failed with HTTP 500 for tenant ${faultyTenantIds.error}: "TENANT-SERVICE 未知错误".`,
    ],
    [
      'a body that is not JSON',
      'direct',
      faultyTenantIds.garbage,
      UpstreamError,
      'TENANT_SERVICE_INVALID',
      `The tenant service answered tenant ${faultyTenantIds.garbage} with something that is not JSON.`,
    ],
    [
      'JSON that is not a tenant',
      'direct',
      faultyTenantIds.notATenant,
      UpstreamError,
      'TENANT_SERVICE_INVALID',
      `The tenant service's answer for tenant ${faultyTenantIds.notATenant} is not a tenant of that id.`,
    ],
    [
      'a slow answer',
      'direct',
      faultyTenantIds.slow,
      UpstreamTimeoutError,
      'TENANT_SERVICE_TIMEOUT',
      'The tenant service did not answer within 200 ms.',
    ],
  ])('maps %s to its error', async (_what, service, id, Kind, code, message) => {
    const err = await source(service as 'direct' | 'gateway')(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Kind);
    expect(err).toMatchObject({ code, message });
  });

  it('reaches a tenant through the gateway with the right key', async () => {
    await expect(source(gateway)(tenants.a.id)).resolves.toEqual(tenants.a);
  });

  it('says the gateway refused the key when it answers 401', async () => {
    await expect(source(gateway, 'wrong-key')(tenants.a.id)).rejects.toMatchObject({
      code: 'TENANT_SERVICE_KEY_REFUSED',
      message:
        "The tenant service (or the gateway in front of it) refused this service's moopkey with HTTP 401; check MOOPKEY.",
    });
  });

  it('maps a URL that does not name the tenants collection (the real service answers 500) to 502', async () => {
    const wrong = httpTenantSource({
      url: `${new URL(direct.url).origin}/service/v1/tenants`,
      moopkey: async () => moopkey,
      timeoutMs: 200,
    });
    await expect(wrong(tenants.a.id)).rejects.toMatchObject({
      code: 'TENANT_SERVICE_FAILED',
      message: `The tenant service failed with HTTP 500 for tenant ${tenants.a.id}: "TENANT-SERVICE 未知错误".`,
    });
  });

  it('maps a dropped connection to 503', async () => {
    await expect(source(direct)(faultyTenantIds.hangUp)).rejects.toBeInstanceOf(UnavailableError);
  });

  describe('over HTTPS with a private CA (TENANT_SERVICE_CA)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'moop-tenant-ca-'));
    const pki = createPki(dir);
    let tlsService: FakeTenantService;
    beforeAll(async () => {
      tlsService = await startFakeTenantService(Object.values(tenants), { mode: 'direct' }, 500, {
        cert: readFileSync(pki.serverCert),
        key: readFileSync(pki.serverKey),
      });
    });
    afterAll(async () => {
      await tlsService.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("looks tenants up when given the CA that signed the service's certificate", async () => {
      const lookup = httpTenantSource({
        url: tlsService.url,
        moopkey: async () => moopkey,
        timeoutMs: 1000,
        ca: async () => readFileSync(pki.caCert, 'utf8'),
      });
      expect(await lookup(tenants.a.id)).toEqual(TenantSchema.parse(tenants.a));
    });

    it.each([
      ['the path of a PEM file', () => pki.caCert],
      ['the PEM itself', () => readFileSync(pki.caCert, 'utf8')],
    ])('is reached by the functions when TENANT_SERVICE_CA is %s', async (_what, value) => {
      const config = loadConfig({
        MOOPKEY: moopkey,
        NAME_KEY: 'a-test-name-key-of-some-length',
        TENANT_SERVICE_URL: tlsService.url,
        TENANT_SERVICE_CA: value(),
        NFS_SERVER: '10.0.0.2',
        NFS_PREFIX: '/exports/moop/',
      });
      expect(
        await depsFrom(() => config)
          .tenants()
          .get(tenants.a.id),
      ).toEqual(TenantSchema.parse(tenants.a));
    });

    it('says what is wrong with a TENANT_SERVICE_CA that is neither', async () => {
      const config = loadConfig({
        MOOPKEY: moopkey,
        NAME_KEY: 'a-test-name-key-of-some-length',
        TENANT_SERVICE_URL: tlsService.url,
        TENANT_SERVICE_CA: '/etc/no-such-ca.pem',
        NFS_SERVER: '10.0.0.2',
        NFS_PREFIX: '/exports/moop/',
      });
      await expect(
        depsFrom(() => config)
          .tenants()
          .get(tenants.a.id),
      ).rejects.toThrow('TENANT_SERVICE_CA is neither a PEM nor a readable file (ENOENT): /etc/no-such-ca.pem');
    });

    it('refuses the service without its CA, saying to set TENANT_SERVICE_CA', async () => {
      const lookup = httpTenantSource({ url: tlsService.url, moopkey: async () => moopkey, timeoutMs: 1000 });
      await expect(lookup(tenants.a.id)).rejects.toMatchObject({
        code: 'TENANT_SERVICE_UNAVAILABLE',
        message:
          'The tenant service cannot be reached (its certificate is not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE; set TENANT_SERVICE_CA to the CA that signed it).',
      });
    });
  });

  it('maps a service that is down (connection refused) to 503', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const down = httpTenantSource({
      url: `http://127.0.0.1:${port}/tenants`,
      moopkey: async () => moopkey,
      timeoutMs: 1000,
    });
    await expect(down(tenants.a.id)).rejects.toMatchObject({
      code: 'TENANT_SERVICE_UNAVAILABLE',
      message: 'The tenant service cannot be reached (ECONNREFUSED).',
    });
  });

  it('asks for the id under the collection, once per lookup', async () => {
    const before = direct.requests(tenants.b.id);
    await source(direct)(tenants.b.id);
    expect(direct.requests(tenants.b.id)).toBe(before + 1);
  });
});

describe('a tenant service URL that would send the moopkey in clear', () => {
  it.each([
    ['http://tenant-service:7778/tenants', false],
    ['http://10.0.0.31:31778/tenants', false],
    ['http://172.20.1.5:32280/services/v1/tenant/tenants', false],
    ['http://192.168.1.10:31778/tenants', false],
    ['http://127.0.0.1:5000/tenants', false],
    ['http://tenants.moop.svc.cluster.local/tenants', false],
    ['http://gateway.campus.internal:32280/tenants', false],
    ['https://moop.example.edu/services/v1/tenant/tenants', false],
    ['http://moop.example.edu:32280/services/v1/tenant/tenants', true],
    ['http://203.0.113.7:31778/tenants', true],
    ['http://172.32.0.1/tenants', true],
  ])('%s: %s', (url, inClear) => {
    expect(sendsKeyInClear(url)).toBe(inClear);
  });
});
