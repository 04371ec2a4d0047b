// `npm run prepare-tenant`: the operator's one command that makes a tenant's namespace what the service needs, as it
// runs on a real cluster (the operator's kubeconfig, tenants from the tenant service), idempotent, one tenant a
// namespace.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { projectRoot } from '../../tools/offline.ts';
import { hostile, tenants } from '../fixtures/tenants.ts';
import type { ClaimAnswer, ErrorAnswer } from '../support/answers.ts';
import { call } from '../support/api.ts';
import { admin, eventually } from '../support/cluster.ts';
import { byUserPrefix, sweep } from '../support/managed.ts';
import { userPrefix } from '../support/names.ts';

const prefix = userPrefix('prep');
const { core, kc } = admin();
const tenant = tenants.unprepared;
const namespace = tenant.namespace!;

const prepare = async (id: string): Promise<{ code: number; report?: unknown; stderr: string }> => {
  const env = {
    ...process.env,
    KUBECONFIG: process.env.MOOP_TEST_ADMIN_KUBECONFIG,
    TENANT_SERVICE_URL: process.env.MOOP_TEST_TENANT_SERVICE_URL,
    TENANTS_FILE: '',
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['scripts/prepare-tenant.ts', '--tenant', id],
      { cwd: projectRoot, env },
    );
    return { code: 0, report: JSON.parse(stdout), stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
};

afterAll(async () => {
  await sweep(byUserPrefix(prefix));
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('npm run prepare-tenant', () => {
  const applied = [
    `Namespace ${namespace}`,
    `RoleBinding ${namespace}/moop-resource-service`,
    `Role ${namespace}/moop-resource-service-tenant`,
    `RoleBinding ${namespace}/moop-resource-service-tenant`,
  ];

  it("makes a tenant's namespace usable by the service, and only for that tenant", async () => {
    expect(
      (
        await call<ErrorAnswer>('POST', '/service/v1/volumes/pvcs', {
          body: { tenant: tenant.id, username: `${prefix}alice` },
        })
      ).body.code,
    ).toBe('NAMESPACE_NOT_PREPARED');

    expect(await prepare(tenant.id)).toEqual({
      code: 0,
      report: { tenant: tenant.id, namespace, namespaceCreated: true, applied },
      stderr: `[prepare-tenant] namespace ${namespace} is tenant ${tenant.id}'s (made now)\n`,
    });

    const ns = await core.readNamespace({ name: namespace });
    expect(ns.metadata?.labels).toMatchObject({
      'moop.io/tenant': tenant.id,
      'pod-security.kubernetes.io/enforce': 'baseline',
    });
    const made = await eventually('the new RoleBindings to reach the authorizer', async () => {
      const answer = await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', {
        body: { tenant: tenant.id, username: `${prefix}alice` },
      });
      return answer.status === 201 ? answer : undefined;
    });
    expect(made.body.metadata.namespace).toBe(namespace);
  });

  it('changes nothing when run again, and puts back what was changed by hand', async () => {
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.deleteNamespacedRoleBinding({ name: 'moop-resource-service-tenant', namespace });
    const before = (await core.readNamespace({ name: namespace })).metadata?.resourceVersion;

    expect(await prepare(tenant.id)).toMatchObject({ code: 0, report: { namespaceCreated: false, applied } });
    expect((await core.readNamespace({ name: namespace })).metadata?.resourceVersion).toBe(before);
    expect(
      (await rbac.readNamespacedRoleBinding({ name: 'moop-resource-service-tenant', namespace })).roleRef.name,
    ).toBe('moop-resource-service-tenant');
  });

  it("refuses a second tenant in a namespace that is another's, changing nothing", async () => {
    expect(await prepare(hostile.otherNamespace.id)).toEqual({
      code: 1,
      stderr: `[prepare-tenant] Namespace tenant-b belongs to tenant ${tenants.b.id}; a namespace holds one tenant. Give tenant ${hostile.otherNamespace.id} its own.\n`,
    });
    expect((await core.readNamespace({ name: 'tenant-b' })).metadata?.labels?.['moop.io/tenant']).toBe(tenants.b.id);
  });

  it('takes over a namespace an earlier version marked moop.io/tenant=true, keeping its Pod Security level', async () => {
    const old = tenants.markedTrue;
    await core.createNamespace({
      body: {
        metadata: {
          name: old.namespace!,
          labels: { 'moop.io/tenant': 'true', 'pod-security.kubernetes.io/enforce': 'restricted' },
        },
      },
    });
    try {
      expect(await prepare(old.id)).toMatchObject({ code: 0, report: { namespaceCreated: false } });
      expect((await core.readNamespace({ name: old.namespace! })).metadata?.labels).toMatchObject({
        'moop.io/tenant': old.id,
        'pod-security.kubernetes.io/enforce': 'restricted',
      });
    } finally {
      await core.deleteNamespace({ name: old.namespace! });
    }
  });
});
