// Security: the key guards every route before anything else; dangerous names never get through; secrets never
// reach the logs. (That the service's role cannot read Secrets or touch namespaces: cluster.test.ts.)
import { readFileSync } from 'node:fs';
import { type Route, routes } from '../../../lib/http/routes.ts';
import { tenants, unknownTenantId } from '../../fixtures/tenants.ts';
import type { ErrorAnswer } from '../../support/answers.ts';
import { call, moopkey } from '../../support/api.ts';
import { until } from '../../support/cluster.ts';
import { managedNames } from '../../support/managed.ts';

const allRoutes = Object.values(routes) as Route[];
const a = tenants.a.id;
const unauthorized = { status: 401, body: { error: 'Missing or wrong moopkey header.', code: 'UNAUTHORIZED' } };

describe('the moopkey', () => {
  const wrongKeys: [string, () => Record<string, string> | null][] = [
    ['no key', () => null],
    ['a wrong key', () => ({ moopkey: 'wrong-key-of-some-length' })],
    ['the key without its last character', () => ({ moopkey: moopkey().slice(0, -1) })],
    ['the key upper-cased', () => ({ moopkey: moopkey().toUpperCase() })],
    ['the key in another header', () => ({ authorization: moopkey() })],
    ['the key and another value', () => ({ moopkey: `${moopkey()},${moopkey()}` })],
  ];

  it.each(
    allRoutes.flatMap((r) =>
      wrongKeys.map(([what, headers]) => [`${r.method.toUpperCase()} ${r.path}`, what, r, headers] as const),
    ),
  )('%s with %s answers 401, whatever else is wrong with the request', async (_route, _what, route, headers) => {
    const h = headers();
    const answer = await call(route.method.toUpperCase(), route.path, {
      key: null,
      headers: h ?? {},
      query: { tenant: '../../etc', username: 'x\u0000', moopkey: moopkey() },
      ...(route.method === 'post' ? { body: '{"not json' } : {}),
    });
    expect(answer).toEqual(unauthorized);
  });
});

describe('dangerous names', () => {
  const values = [
    '../x',
    'x/../../y',
    'a\u0000b',
    'a\nb',
    'a\rb',
    '$(id)',
    '`id`',
    'a;b',
    'a|b',
    'a&b',
    'a>b',
    "a'b",
    'a"b',
    'a\\b',
  ];
  const fields: [
    string,
    (v: string) => { method: string; path: string; body?: unknown; query?: Record<string, string> },
  ][] = [
    ['tenant', (v) => ({ method: 'POST', path: '/service/v1/volumes/pvcs', body: { tenant: v, username: 'alice' } })],
    [
      'username',
      (v) => ({ method: 'POST', path: '/service/v1/volumes/pvs', body: { tenant: a, username: v, path: 'x' } }),
    ],
    [
      'tag',
      (v) => ({ method: 'GET', path: '/service/v1/volumes/pvcs', query: { tenant: a, username: 'alice', tag: v } }),
    ],
    [
      'a claim to mount',
      (v) => ({
        method: 'POST',
        path: '/service/v1/pods',
        body: { tenant: a, cmd: 'ls', vols: [{ pvc: v, mount: '/data' }] },
      }),
    ],
    ['a Job name', (v) => ({ method: 'DELETE', path: '/service/v1/pods', query: { tenant: a, name: v } })],
  ];

  it.each(fields.flatMap(([field, request]) => values.map((v) => [field, JSON.stringify(v), request(v)] as const)))(
    'refuses %s %s with 400 and makes nothing',
    async (_field, _value, request) => {
      const before = await managedNames();
      const answer = await call<ErrorAnswer>(request.method, request.path, {
        body: request.body,
        query: request.query,
      });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('INVALID_REQUEST');
      expect(await managedNames()).toEqual(before);
    },
  );
});

describe('the logs', () => {
  it('never hold the moopkey, the kubeconfig or its token', async () => {
    const logFile = process.env.MOOP_TEST_OFFLINE_LOG!;
    const logBefore = readFileSync(logFile, 'utf8').length;
    await call('GET', '/service/v1/health');
    // A well-formed id the tenant service does not know: refused after the lookup, with TENANT_NOT_FOUND in the log.
    await call('POST', '/service/v1/volumes/pvcs', { body: { tenant: unknownTenantId, username: 'x' } });
    // serverless-offline writes a handler's log lines after its answer has left: wait for both requests' lines.
    await until(
      'both requests to be logged',
      async () => {
        const written = readFileSync(logFile, 'utf8').slice(logBefore);
        return (
          written.split('"message":"request finished"').length > 2 && written.includes('"code":"TENANT_NOT_FOUND"')
        );
      },
      10_000,
    );
    const log = readFileSync(logFile, 'utf8');
    const kubeconfig = JSON.parse(readFileSync(process.env.MOOP_TEST_SERVICE_KUBECONFIG!, 'utf8')) as {
      users: { user: { token: string } }[];
    };
    const token = kubeconfig.users[0]!.user.token;
    const admin = JSON.parse(readFileSync(process.env.MOOP_TEST_ADMIN_KUBECONFIG!, 'utf8')) as {
      users: { user: Record<string, string> }[];
    };

    expect(log).toContain('"message":"request finished"');
    expect(log).toContain('"code":"TENANT_NOT_FOUND"');
    expect(log).not.toContain(moopkey());
    expect(log).not.toContain(token);
    expect(log).not.toContain(token.split('.')[1]!);
    expect(log).not.toContain(admin.users[0]!.user['client-key-data']!.slice(0, 40));
    expect(log).not.toMatch(/bearer /i);
    expect(log).not.toContain('BEGIN PRIVATE KEY');
  });
});
