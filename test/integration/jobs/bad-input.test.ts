// Bad input to /service/v1/pods: each case gets its status, code and message, and no Job is made or deleted.
import { faultyTenantIds, tenants, unknownTenantId } from '../../fixtures/tenants.ts';
import type { ClaimAnswer, ErrorAnswer } from '../../support/answers.ts';
import { type CallOptions, call } from '../../support/api.ts';
import { admin } from '../../support/cluster.ts';
import { byUserPrefix, managedNames, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const path = '/service/v1/pods';
const prefix = userPrefix('jobs-bad');
const tenant = tenants.a.id;
let claim: string;

beforeAll(async () => {
  const created = await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', {
    body: { tenant, username: `${prefix}owner` },
  });
  claim = created.body.metadata.name;
});
afterAll(() => sweep(byUserPrefix(prefix)));

// Every row has all six fields: jest passes a done callback in place of a missing last one.
type Case = [
  what: string,
  method: 'POST' | 'GET' | 'DELETE',
  options: () => CallOptions,
  status: number,
  code: string,
  error: string | RegExp,
];
const post =
  (body: () => unknown): (() => CallOptions) =>
  () => ({ body: body() });
const vol = (extra: object = {}) => ({ pvc: claim, mount: '/data', ...extra });

const cases: Case[] = [
  [
    'a missing cmd',
    'POST',
    post(() => ({ tenant })),
    400,
    'INVALID_REQUEST',
    'Invalid request body: cmd: Invalid input: expected string, received undefined.',
  ],
  ['an empty cmd', 'POST', post(() => ({ tenant, cmd: '' })), 400, 'INVALID_REQUEST', /cmd: must not be empty/],
  ['a blank cmd', 'POST', post(() => ({ tenant, cmd: '  \n ' })), 400, 'INVALID_REQUEST', /cmd: must not be empty/],
  [
    'a cmd that is too long',
    'POST',
    post(() => ({ tenant, cmd: 'x'.repeat(8193) })),
    400,
    'INVALID_REQUEST',
    /cmd: must be at most 8192 characters/,
  ],
  [
    'a NUL in cmd',
    'POST',
    post(() => ({ tenant, cmd: 'ls\u0000' })),
    400,
    'INVALID_REQUEST',
    /cmd: must not contain control characters/,
  ],
  [
    'a cmd that is not a string',
    'POST',
    post(() => ({ tenant, cmd: ['ls'] })),
    400,
    'INVALID_REQUEST',
    /cmd: Invalid input: expected string, received array/,
  ],
  [
    'vols that is not a list',
    'POST',
    post(() => ({ tenant, cmd: 'ls', vols: { pvc: claim } })),
    400,
    'INVALID_REQUEST',
    /vols: Invalid input: expected array/,
  ],
  [
    'too many vols',
    'POST',
    post(() => ({ tenant, cmd: 'ls', vols: Array.from({ length: 17 }, (_, i) => vol({ mount: `/m${i}` })) })),
    400,
    'INVALID_REQUEST',
    /vols: must hold at most 16 volumes/,
  ],
  [
    'a relative mount',
    'POST',
    post(() => ({ tenant, cmd: 'ls', vols: [vol({ mount: 'data' })] })),
    400,
    'INVALID_REQUEST',
    /vols\.0\.mount: must be an absolute path/,
  ],
  [
    'a mount with ..',
    'POST',
    post(() => ({ tenant, cmd: 'ls', vols: [vol({ mount: '/data/../etc' })] })),
    400,
    'INVALID_REQUEST',
    /vols\.0\.mount: must not contain "\.\." segments/,
  ],
  [
    'a mount at /',
    'POST',
    post(() => ({ tenant, cmd: 'ls', vols: [vol({ mount: '/' })] })),
    400,
    'INVALID_REQUEST',
    /vols\.0\.mount: must not be "\/"/,
  ],
  [
    'two mounts at one path',
    'POST',
    post(() => ({ tenant, cmd: 'ls', vols: [vol(), vol({ mount: '/data/' })] })),
    400,
    'INVALID_REQUEST',
    /vols: mount paths must be distinct/,
  ],
  [
    'an absolute subpath',
    'POST',
    post(() => ({ tenant, cmd: 'ls', vols: [vol({ subpath: '/etc' })] })),
    400,
    'INVALID_REQUEST',
    /vols\.0\.subpath: must be a relative path/,
  ],
  [
    'a subpath with ..',
    'POST',
    post(() => ({ tenant, cmd: 'ls', vols: [vol({ subpath: 'a/../../b' })] })),
    400,
    'INVALID_REQUEST',
    /vols\.0\.subpath: must not contain "\.\." segments/,
  ],
  [
    'an invalid claim name',
    'POST',
    post(() => ({ tenant, cmd: 'ls', vols: [vol({ pvc: 'Claim_1' })] })),
    400,
    'INVALID_REQUEST',
    /vols\.0\.pvc: must be a Kubernetes object name/,
  ],
  [
    'an unknown field in a volume',
    'POST',
    post(() => ({ tenant, cmd: 'ls', vols: [vol({ readOnly: true })] })),
    400,
    'INVALID_REQUEST',
    /vols\.0: Unrecognized key: "readOnly"/,
  ],
  [
    'a wait past the gateway limit',
    'POST',
    post(() => ({ tenant, cmd: 'ls', wait: 30 })),
    400,
    'INVALID_REQUEST',
    /wait: must be at most 25 seconds/,
  ],
  ['a negative wait', 'POST', post(() => ({ tenant, cmd: 'ls', wait: -1 })), 400, 'INVALID_REQUEST', /wait: Too small/],
  [
    'a claim that does not exist',
    'POST',
    post(() => ({ tenant, cmd: 'ls', vols: [vol(), { pvc: 'no-such-claim', mount: '/other' }] })),
    404,
    'CLAIM_NOT_FOUND',
    'Claim(s) no-such-claim do not exist in namespace tenant-a.',
  ],
  [
    "a claim of another tenant's namespace",
    'POST',
    post(() => ({ tenant: tenants.b.id, cmd: 'ls', vols: [vol()] })),
    404,
    'CLAIM_NOT_FOUND',
    /do not exist in namespace tenant-b/,
  ],
  [
    'a claim of another school sharing the namespace',
    'POST',
    post(() => ({ tenant: tenants.neighbour.id, cmd: 'ls', vols: [vol()] })),
    404,
    'CLAIM_NOT_FOUND',
    /do not exist in namespace tenant-a\.$/,
  ],
  [
    "a Pod template with the host's network and disk",
    'POST',
    post(() => ({ tenant: tenants.unsafePod.id, cmd: 'ls' })),
    422,
    'TEMPLATE_UNSAFE',
    `Tenant ${tenants.unsafePod.id}'s "pod" template asks for what the service never makes: spec.hostNetwork (no host namespaces), spec.volumes[0].hostPath (volumes only of kinds emptyDir, downwardAPI).`,
  ],
  [
    'a Job template with a privileged container',
    'POST',
    post(() => ({ tenant: tenants.unsafeJob.id, cmd: 'ls' })),
    422,
    'TEMPLATE_UNSAFE',
    /: spec\.template\.spec\.containers\[0\]\.securityContext\.privileged \(no privileged containers\)\.$/,
  ],
  [
    'a tenant without templates',
    'POST',
    post(() => ({ tenant: tenants.noTemplates.id, cmd: 'ls' })),
    422,
    'TEMPLATE_MISSING',
    `Tenant ${tenants.noTemplates.id} has no "pod" template in resources.templates.`,
  ],
  [
    'an older record whose resources is a list',
    'POST',
    post(() => ({ tenant: tenants.listResources.id, cmd: 'ls' })),
    422,
    'TEMPLATE_MISSING',
    `Tenant ${tenants.listResources.id} has no "pod" template in resources.templates.`,
  ],
  [
    'a pod template of another kind',
    'POST',
    post(() => ({ tenant: tenants.wrongPodKind.id, cmd: 'ls' })),
    422,
    'TEMPLATE_WRONG_KIND',
    `Tenant ${tenants.wrongPodKind.id}'s "pod" template makes a deployment; this route makes Pod or Job.`,
  ],
  [
    'a Job template without containers',
    'POST',
    post(() => ({ tenant: tenants.noContainers.id, cmd: 'ls' })),
    422,
    'TEMPLATE_INVALID',
    /has no spec.template.spec.containers\[0\]/,
  ],
  [
    'a tenant id that is not an ObjectId',
    'POST',
    post(() => ({ tenant: 'tenant-a', cmd: 'ls' })),
    400,
    'INVALID_REQUEST',
    /tenant: must be a MOOP tenant id/,
  ],
  [
    'an unknown tenant',
    'POST',
    post(() => ({ tenant: unknownTenantId, cmd: 'ls' })),
    404,
    'TENANT_NOT_FOUND',
    `No tenant ${unknownTenantId}.`,
  ],
  [
    'a tenant service answering 500',
    'POST',
    post(() => ({ tenant: faultyTenantIds.error, cmd: 'ls' })),
    502,
    'TENANT_SERVICE_FAILED',
    `The tenant service failed with HTTP 500 for tenant ${faultyTenantIds.error}: "TENANT-SERVICE 未知错误".`,
  ],
  [
    'GET without a name',
    'GET',
    () => ({ query: { tenant } }),
    400,
    'INVALID_REQUEST',
    /name: Invalid input: expected string/,
  ],
  [
    'GET with an invalid name',
    'GET',
    () => ({ query: { tenant, name: '../secrets' } }),
    400,
    'INVALID_REQUEST',
    /name: must be a Kubernetes object name/,
  ],
  [
    'GET with a name past 253 characters',
    'GET',
    () => ({ query: { tenant, name: 'j'.repeat(254) } }),
    400,
    'INVALID_REQUEST',
    /name: must be at most 253 characters/,
  ],
  [
    'GET of a Pod that is not there',
    'GET',
    () => ({ query: { tenant, name: 'job-nope' } }),
    404,
    'OBJECT_NOT_FOUND',
    `No Pod tenant-a/job-nope or Job tenant-a/job-nope for tenant ${tenant}.`,
  ],
  [
    'DELETE of a Job that is not there',
    'DELETE',
    () => ({ query: { tenant: tenants.b.id, name: 'job-nope' } }),
    404,
    'OBJECT_NOT_FOUND',
    `No Job tenant-b/job-nope or Pod tenant-b/job-nope for tenant ${tenants.b.id}.`,
  ],
];

describe('bad input to /service/v1/pods', () => {
  it.each(cases)(
    'answers %s with its status and code and makes no Job',
    async (_what, method, options, status, code, error) => {
      const before = await managedNames();
      const jobsBefore = (await admin().batch.listJobForAllNamespaces()).items.length;

      const answer = await call<ErrorAnswer>(method, path, options());

      expect(answer.status).toBe(status);
      expect(answer.body).toEqual({
        error: error instanceof RegExp ? expect.stringMatching(error) : error,
        code,
        ...(answer.body.details === undefined ? {} : { details: expect.anything() }),
      });
      expect(await managedNames()).toEqual(before);
      expect((await admin().batch.listJobForAllNamespaces()).items.length).toBe(jobsBefore);
    },
  );
});
