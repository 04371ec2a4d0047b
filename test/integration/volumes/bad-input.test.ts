// Bad input to the volume routes: each case gets its status, code and message, and nothing is created or deleted.
import { faultyTenantIds, tenants, unknownTenantId } from '../../fixtures/tenants.ts';
import type { ErrorAnswer } from '../../support/answers.ts';
import { type CallOptions, call } from '../../support/api.ts';
import { startApiServer, stopApiServer } from '../../support/cluster.ts';
import { byUserPrefix, managedNames, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const prefix = userPrefix('bad');
const tenant = tenants.a.id;
const user = `${prefix}alice`;
const pvs = '/service/v1/volumes/pvs';
const pvcs = '/service/v1/volumes/pvcs';

afterAll(() => sweep(byUserPrefix(prefix)));

interface Case {
  method: 'POST' | 'GET' | 'DELETE';
  route: string;
  options: CallOptions;
  status: number;
  code: string;
  error?: string | RegExp;
}

const post = (route: string, body: unknown, status: number, code: string, error?: string | RegExp): Case => ({
  method: 'POST',
  route,
  options: { body },
  status,
  code,
  error,
});
const query = (
  method: 'GET' | 'DELETE',
  route: string,
  q: Record<string, string>,
  status: number,
  code: string,
  error?: string | RegExp,
): Case => ({
  method,
  route,
  options: { query: q },
  status,
  code,
  error,
});
const volume = { tenant, username: user, path: 'tenant-a/x' };

const cases: [string, Case][] = [
  [
    'a missing tenant',
    post(
      pvs,
      { username: user, path: 'x' },
      400,
      'INVALID_REQUEST',
      'Invalid request body: tenant: Invalid input: expected string, received undefined.',
    ),
  ],
  [
    'a wrong-typed username',
    post(
      pvs,
      { ...volume, username: 42 },
      400,
      'INVALID_REQUEST',
      'Invalid request body: username: Invalid input: expected string, received number.',
    ),
  ],
  [
    'a wrong-typed match',
    post(
      pvcs,
      { tenant, username: user, match: 'true' },
      400,
      'INVALID_REQUEST',
      'Invalid request body: match: Invalid input: expected boolean, received string.',
    ),
  ],
  [
    'an unknown field',
    post(
      pvs,
      { ...volume, size: '1Gi' },
      400,
      'INVALID_REQUEST',
      'Invalid request body: body: Unrecognized key: "size".',
    ),
  ],
  ['malformed JSON', post(pvs, '{"tenant": "x",', 400, 'MALFORMED_JSON', 'The request body is not valid JSON.')],
  ['no body', post(pvcs, '', 400, 'INVALID_REQUEST', 'Invalid request body: the request needs a JSON object body.')],
  [
    'a JSON array',
    post(
      pvs,
      [volume],
      400,
      'INVALID_REQUEST',
      'Invalid request body: body: Invalid input: expected object, received array.',
    ),
  ],
  [
    'an empty tenant',
    post(
      pvs,
      { ...volume, tenant: '' },
      400,
      'INVALID_REQUEST',
      /tenant: must be a MOOP tenant id: 24 lower-case hexadecimal digits/,
    ),
  ],
  [
    'a tenant id that is a slug, not an ObjectId',
    post(
      pvs,
      { ...volume, tenant: 'demo-university' },
      400,
      'INVALID_REQUEST',
      /tenant: must be a MOOP tenant id: 24 lower-case hexadecimal digits/,
    ),
  ],
  [
    'an ObjectId in upper case',
    post(
      pvcs,
      { tenant: tenant.toUpperCase(), username: user },
      400,
      'INVALID_REQUEST',
      /tenant: must be a MOOP tenant id: 24 lower-case hexadecimal digits/,
    ),
  ],
  [
    'an ObjectId one digit short',
    query(
      'GET',
      pvcs,
      { tenant: tenant.slice(1), username: user },
      400,
      'INVALID_REQUEST',
      /tenant: must be a MOOP tenant id: 24 lower-case hexadecimal digits/,
    ),
  ],
  ['an empty username', post(pvs, { ...volume, username: '' }, 400, 'INVALID_REQUEST', /username: must not be empty/)],
  ['an empty tag', post(pvcs, { tenant, username: user, tag: '' }, 400, 'INVALID_REQUEST', /tag: must not be empty/)],
  ['an empty path', post(pvs, { ...volume, path: '' }, 400, 'INVALID_REQUEST', /path: must not be empty/)],
  [
    'a very long username',
    post(
      pvs,
      { ...volume, username: 'u'.repeat(101) },
      400,
      'INVALID_REQUEST',
      /username: must be at most 100 characters/,
    ),
  ],
  [
    'a very long tag',
    post(pvs, { ...volume, tag: 't'.repeat(64) }, 400, 'INVALID_REQUEST', /tag: must be at most 63 characters/),
  ],
  [
    'a very long tenant',
    post(
      pvs,
      { ...volume, tenant: 'a'.repeat(64) },
      400,
      'INVALID_REQUEST',
      /tenant: must be a MOOP tenant id: 24 lower-case hexadecimal digits/,
    ),
  ],
  [
    'a very long path',
    post(pvs, { ...volume, path: 'p/'.repeat(600) }, 400, 'INVALID_REQUEST', /path: must be at most 1024 characters/),
  ],
  [
    'a path that climbs out',
    post(pvs, { ...volume, path: '../../etc' }, 400, 'INVALID_REQUEST', /path: must not contain "\.\." segments/),
  ],
  [
    'a path that climbs out midway',
    post(
      pvs,
      { ...volume, path: 'courses/../../other' },
      400,
      'INVALID_REQUEST',
      /path: must not contain "\.\." segments/,
    ),
  ],
  [
    'a second root',
    post(pvs, { ...volume, path: '/etc/passwd' }, 400, 'INVALID_REQUEST', /path: must be relative to the NFS prefix/),
  ],
  [
    'a NUL in the path',
    post(
      pvs,
      { ...volume, path: 'a\u0000b' },
      400,
      'INVALID_REQUEST',
      /path: must not contain control characters or NUL/,
    ),
  ],
  [
    'a newline in the path',
    post(pvs, { ...volume, path: 'a\nb' }, 400, 'INVALID_REQUEST', /path: must not contain control characters or NUL/),
  ],
  [
    "a pv template on the node's disk",
    post(
      pvs,
      { ...volume, tenant: tenants.unsafeJob.id },
      422,
      'TEMPLATE_UNSAFE',
      `Tenant ${tenants.unsafeJob.id}'s "pv" template asks for what the service never makes: spec.hostPath (volumes on the NFS server, never on a node).`,
    ),
  ],
  [
    'the prefix itself',
    post(pvs, { ...volume, path: './' }, 400, 'INVALID_REQUEST', /path: must name a folder below the prefix/),
  ],
  [
    "another school's NFS folder",
    post(
      pvs,
      { ...volume, path: 'tenant-b/alice' },
      400,
      'PATH_OUTSIDE_TENANT_FOLDER',
      'path must be the tenant\'s folder "tenant-a" or lie below it ("tenant-a/..."): a tenant\'s volumes stay in its own NFS folder.',
    ),
  ],
  [
    "a folder whose name only starts like the tenant's",
    post(pvs, { ...volume, path: 'tenant-a-old/alice' }, 400, 'PATH_OUTSIDE_TENANT_FOLDER'),
  ],
  ['a folder right under the prefix', post(pvs, { ...volume, path: 'alice' }, 400, 'PATH_OUTSIDE_TENANT_FOLDER')],
  [
    'a tenant with a slash',
    post(
      pvs,
      { ...volume, tenant: '../admin' },
      400,
      'INVALID_REQUEST',
      /tenant: must be a MOOP tenant id: 24 lower-case hexadecimal digits/,
    ),
  ],
  [
    'shell metacharacters in a username',
    post(
      pvs,
      { ...volume, username: 'bob; rm -rf /' },
      400,
      'INVALID_REQUEST',
      /username: must start with a letter or digit and hold only/,
    ),
  ],
  [
    'a slash in a tag',
    post(
      pvcs,
      { tenant, username: user, tag: 'a/b' },
      400,
      'INVALID_REQUEST',
      /tag: must start with a letter or digit/,
    ),
  ],
  [
    '".." in a username',
    post(pvs, { ...volume, username: 'a..b' }, 400, 'INVALID_REQUEST', /username: must not contain "\.\."/),
  ],
  [
    'a trailing space in a username',
    post(pvs, { ...volume, username: 'bob ' }, 400, 'INVALID_REQUEST', /username: must not start or end with a space/),
  ],
  [
    'GET without a username',
    query(
      'GET',
      pvs,
      { tenant },
      400,
      'INVALID_REQUEST',
      'Invalid request query: username: Invalid input: expected string, received undefined.',
    ),
  ],
  [
    'GET with an unknown parameter',
    query(
      'GET',
      pvcs,
      { tenant, username: user, verbose: '1' },
      400,
      'INVALID_REQUEST',
      'Invalid request query: query: Unrecognized key: "verbose".',
    ),
  ],
  [
    'DELETE with force=yes',
    query(
      'DELETE',
      pvcs,
      { tenant, username: user, force: 'yes' },
      400,
      'INVALID_REQUEST',
      /force: Invalid option: expected one of "true"\|"false"/,
    ),
  ],
  [
    'DELETE with a newline in the username',
    query('DELETE', pvs, { tenant, username: 'a\nb' }, 400, 'INVALID_REQUEST', /username/),
  ],
  [
    'an unknown tenant (the tenant service says 400)',
    post(pvs, { ...volume, tenant: unknownTenantId }, 404, 'TENANT_NOT_FOUND', `No tenant ${unknownTenantId}.`),
  ],
  [
    'GET for an unknown tenant',
    query(
      'GET',
      pvcs,
      { tenant: unknownTenantId, username: user },
      404,
      'TENANT_NOT_FOUND',
      `No tenant ${unknownTenantId}.`,
    ),
  ],
  [
    'DELETE for an unknown tenant',
    query(
      'DELETE',
      pvs,
      { tenant: unknownTenantId, username: user },
      404,
      'TENANT_NOT_FOUND',
      `No tenant ${unknownTenantId}.`,
    ),
  ],
  [
    'a tenant made without templates (resources {})',
    post(
      pvs,
      { ...volume, tenant: tenants.noTemplates.id },
      422,
      'TEMPLATE_MISSING',
      `Tenant ${tenants.noTemplates.id} has no "pv" template in resources.templates.`,
    ),
  ],
  [
    'a claim for a tenant without templates',
    post(pvcs, { tenant: tenants.noTemplates.id, username: user }, 422, 'TEMPLATE_MISSING'),
  ],
  [
    'an older record whose resources is a list',
    post(
      pvs,
      { ...volume, tenant: tenants.listResources.id },
      422,
      'TEMPLATE_MISSING',
      `Tenant ${tenants.listResources.id} has no "pv" template in resources.templates.`,
    ),
  ],
  [
    'a claim for an older record whose resources is a list',
    query('GET', pvcs, { tenant: tenants.listResources.id, username: user }, 422, 'TEMPLATE_MISSING'),
  ],
  [
    'a tenant with a broken pv template',
    post(
      pvs,
      { ...volume, tenant: tenants.brokenTemplate.id },
      422,
      'TEMPLATE_INVALID',
      /"pv" template is not a Kubernetes object skeleton: apiVersion: .*kind: .*metadata: /,
    ),
  ],
  [
    'a tenant with a broken pvc template',
    post(pvcs, { tenant: tenants.brokenTemplate.id, username: user }, 422, 'TEMPLATE_INVALID'),
  ],
  [
    'a template the API server rejects',
    post(
      pvs,
      { ...volume, tenant: tenants.rejectedTemplate.id, path: 'tenant-rejected/x' },
      422,
      'TEMPLATE_REJECTED',
      /^The Kubernetes API server rejected the rendered object: PersistentVolume .* quantities must match/,
    ),
  ],
  [
    'a claim template the API server rejects',
    post(pvcs, { tenant: tenants.rejectedTemplate.id, username: user }, 422, 'TEMPLATE_REJECTED', /Sometimes/),
  ],
  [
    'a tenant whose namespace does not exist (so nobody prepared it)',
    post(
      pvcs,
      { tenant: tenants.missingNamespace.id, username: user },
      422,
      'NAMESPACE_NOT_PREPARED',
      /^Namespace tenant-nowhere is not prepared for the MOOP resource service: an operator runs npm run prepare-tenant -- --tenant <id> /,
    ),
  ],
  [
    'a tenant naming a system namespace',
    post(pvcs, { tenant: tenants.systemNamespace.id, username: user }, 422, 'TENANT_NAMESPACE_RESERVED'),
  ],
  [
    'a tenant service that is slow',
    post(
      pvs,
      { ...volume, tenant: faultyTenantIds.slow },
      504,
      'TENANT_SERVICE_TIMEOUT',
      'The tenant service did not answer within 2500 ms.',
    ),
  ],
  [
    'a tenant service answering 500 (text)',
    post(
      pvs,
      { ...volume, tenant: faultyTenantIds.error },
      502,
      'TENANT_SERVICE_FAILED',
      `The tenant service failed with HTTP 500 for tenant ${faultyTenantIds.error}: "TENANT-SERVICE 未知错误".`,
    ),
  ],
  [
    'a tenant service answering garbage',
    post(pvcs, { tenant: faultyTenantIds.garbage, username: user }, 502, 'TENANT_SERVICE_INVALID'),
  ],
  [
    'a tenant service answering a non-tenant',
    query('GET', pvs, { tenant: faultyTenantIds.notATenant, username: user }, 502, 'TENANT_SERVICE_INVALID'),
  ],
  [
    'a tenant service that hangs up',
    query('DELETE', pvcs, { tenant: faultyTenantIds.hangUp, username: user }, 503, 'TENANT_SERVICE_UNAVAILABLE'),
  ],
];

describe('bad input to the volume routes', () => {
  it.each(cases)('answers %s with its status and code and changes nothing', async (_what, c) => {
    const before = await managedNames();

    const answer = await call<ErrorAnswer>(c.method, c.route, c.options);

    expect(answer.status).toBe(c.status);
    expect(answer.body).toEqual({
      error: c.error instanceof RegExp ? expect.stringMatching(c.error) : (c.error ?? expect.any(String)),
      code: c.code,
      ...(answer.body.details === undefined ? {} : { details: expect.any(Array) }),
    });
    expect(await managedNames()).toEqual(before);
  });

  it('answers 401 before looking at anything else, whatever else is wrong', async () => {
    for (const [, c] of cases) {
      expect(await call(c.method, c.route, { ...c.options, key: 'not-the-key' })).toEqual({
        status: 401,
        body: { error: 'Missing or wrong moopkey header.', code: 'UNAUTHORIZED' },
      });
    }
  });

  it('answers 503 while the API server is down, and creates nothing', async () => {
    await call('GET', pvs, { query: { tenant, username: user } }); // the tenant is now cached: only Kubernetes is down
    const before = await managedNames();
    await stopApiServer();
    try {
      const answer = await call('POST', pvs, { body: { ...volume, username: `${prefix}during-outage` } });
      expect(answer).toEqual({
        status: 503,
        body: {
          error: expect.stringMatching(
            /^The Kubernetes API server at https:\/\/127\.0\.0\.1:\d+ cannot be reached \(ECONNREFUSED\)$/,
          ),
          code: 'KUBERNETES_UNAVAILABLE',
        },
      });
    } finally {
      await startApiServer();
    }
    expect(await managedNames()).toEqual(before);
  });

  it('serves repeated lookups of a tenant from memory', async () => {
    const id = tenants.idAsNamespace.id;
    const count = async (): Promise<number> =>
      (
        (await (
          await fetch(`${new URL(process.env.MOOP_TEST_TENANT_SERVICE_URL!).origin}/__requests/${id}`)
        ).json()) as { count: number }
      ).count;
    const before = await count();

    for (let i = 0; i < 3; i++) await call('GET', pvs, { query: { tenant: id, username: `${prefix}cache-${i}` } });

    expect((await count()) - before).toBeLessThanOrEqual(1);
  });
});
