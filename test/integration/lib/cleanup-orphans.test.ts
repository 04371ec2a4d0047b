// A tenant removal whose event was lost leaves orphans: the service's objects of a tenant the tenant service no longer
// knows. A scheduled run finds them, reports them, and deletes them only under CLEANUP_ORPHANS=delete; a tenant
// service that fails makes no one an orphan. In-process against the real API server and the tenant service stand-in.
import { Logger } from '@aws-lambda-powertools/logger';
import { runCleanup } from '../../../lib/cleanup/run.ts';
import type { CleanupSettings } from '../../../lib/config/settings.ts';
import { UpstreamError } from '../../../lib/errors.ts';
import { KubeClient } from '../../../lib/kube/client.ts';
import { loadKubeconfig } from '../../../lib/kube/kubeconfig.ts';
import { Resources } from '../../../lib/kube/resources.ts';
import { cachedTenants } from '../../../lib/tenants/directory.ts';
import { httpTenantSource } from '../../../lib/tenants/http-source.ts';
import { tenants } from '../../fixtures/tenants.ts';
import type { ClaimAnswer } from '../../support/answers.ts';
import { call, removeTenant } from '../../support/api.ts';
import { until } from '../../support/cluster.ts';
import { byUserPrefix, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const prefix = userPrefix('orphans');
const orphaned = tenants.orphaned.id;
let kube: KubeClient;
let claim: string;
const settings = (orphans: CleanupSettings['orphans']): CleanupSettings => ({
  policy: 'keep',
  retentionSeconds: 3600,
  pageSize: 50,
  concurrency: 4,
  orphans,
});
const logger = new Logger({ logLevel: 'SILENT' });
const directory = () =>
  cachedTenants(
    httpTenantSource({
      url: process.env.MOOP_TEST_TENANT_SERVICE_URL!,
      moopkey: async () => 'unused',
      timeoutMs: 3000,
    }),
    0,
  );

beforeAll(async () => {
  kube = new KubeClient(loadKubeconfig({ file: process.env.MOOP_TEST_SERVICE_KUBECONFIG! }), { timeoutMs: 5000 });
  const made = await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', {
    body: { tenant: orphaned, username: `${prefix}ann` },
  });
  expect(made.status).toBe(201);
  claim = `tenant-orphaned/${made.body.metadata.name}`;
  await removeTenant(orphaned);
});
afterAll(async () => {
  await kube.close();
  await sweep(byUserPrefix(prefix));
});

describe('a scheduled run and the objects of tenants the tenant service no longer knows', () => {
  it('reports them, by tenant and by object, and leaves them in place', async () => {
    const summary = await runCleanup(
      { resources: new Resources(kube), tenants: directory(), logger, settings: settings('report') },
      { action: 'scheduled', dryRun: false },
    );

    expect(summary.orphanTenants).toContain(orphaned);
    expect(summary.orphanTenants).not.toContain(tenants.a.id);
    expect(summary.actions.reportOrphan?.names).toContain(claim);
    expect(summary.actions.deleteClaim).toBeUndefined();
    expect(await exists(claim)).toBe(true);
  });

  it('makes no one an orphan while the tenant service fails', async () => {
    const failing = {
      get: () => Promise.reject(new UpstreamError('The tenant service failed.', { code: 'TENANT_SERVICE_FAILED' })),
    };

    const summary = await runCleanup(
      { resources: new Resources(kube), tenants: failing, logger, settings: settings('report') },
      { action: 'scheduled', dryRun: false },
    );

    expect([summary.orphanTenants, summary.actions.reportOrphan]).toEqual([[], undefined]);
  });

  it('deletes them under CLEANUP_ORPHANS=delete, and only them', async () => {
    const summary = await runCleanup(
      { resources: new Resources(kube), tenants: directory(), logger, settings: settings('delete') },
      { action: 'scheduled', dryRun: false },
    );

    expect(summary.orphanTenants).toContain(orphaned);
    expect(summary.actions.deleteClaim?.names).toContain(claim);
    // Every deleted object is an orphan's: its name carries a tenant the run found gone.
    for (const name of Object.values(summary.actions).flatMap((a) => a?.names ?? [])) {
      expect([name, summary.orphanTenants!.some((t) => name.includes(t))]).toEqual([name, true]);
    }
    await until(`${claim} to be gone`, async () => !(await exists(claim)));
  });
});

async function exists(key: string): Promise<boolean> {
  const [namespace, name] = key.split('/') as [string, string];
  return new Resources(kube).get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name }).then(
    () => true,
    () => false,
  );
}
