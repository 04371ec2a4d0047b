// The benchmark's quick run (npm run bench -- --quick's sizes: a handful of cycles of every section) against the
// suite's own cluster and serverless-offline, so that a section that no longer runs to its end fails the suite.
// Timings are not asserted: that is the full run's business (npm run bench), with its goals printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { TenantSchema } from '../../lib/tenants/tenant.ts';
import { projectRoot } from '../../tools/offline.ts';
import { tenants } from '../fixtures/tenants.ts';
import { sweep } from '../support/managed.ts';

const demo = TenantSchema.parse(tenants.demo);
const env = (name: string): string => {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run integration tests through jest's integration project (npm test)`);
  return value;
};

afterAll(async () => {
  // The benchmark deletes what it makes; this only keeps a failed run from leaving the suite objects to trip on.
  await sweep((o: KubernetesObject) => o.metadata?.labels?.['moop.io/tenant'] === demo.id);
});

test('every section of the benchmark runs to its end, a handful of cycles each', async () => {
  // The handlers it calls in process log only warnings, and send no metrics, as under npm run bench.
  Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true' });
  const { printResults, quickScale, runSections, sections } = await import('../../bench/sections.ts');
  const { apiServerPidOf, offlinePidOf } = await import('../../bench/stats.ts');
  const adminKubeconfig = env('MOOP_TEST_ADMIN_KUBECONFIG');
  const server = (JSON.parse(readFileSync(adminKubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] })
    .clusters[0]!.cluster.server;
  const apiUrl = env('MOOP_TEST_API_URL');
  const lines: string[] = [];
  const started = Date.now();
  const results = await runSections(
    {
      adminKubeconfig,
      serviceKubeconfig: env('MOOP_TEST_SERVICE_KUBECONFIG'),
      apiServerPid: apiServerPidOf(server),
      offline: { url: apiUrl, pid: offlinePidOf(apiUrl) },
      tenant: demo,
      env: {
        MOOPKEY: env('MOOP_TEST_MOOPKEY'),
        NAME_KEY: env('MOOP_TEST_NAME_KEY'),
        KUBECONFIG: env('MOOP_TEST_SERVICE_KUBECONFIG'),
        NFS_SERVER: '10.0.0.2',
        NFS_PREFIX: '/exports/moop/',
        TENANTS_FILE: join(projectRoot, 'tenants.local.json'),
        LOG_LEVEL: 'WARN',
      },
      tenantServiceUrl: env('MOOP_TEST_TENANT_SERVICE_URL'),
    },
    { sections, scale: quickScale, outDir: join(projectRoot, '.local/bench/suite-quick'), log: (l) => lines.push(l) },
  );
  process.stderr.write(`[bench] quick run of every section in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  expect(Object.keys(results.seconds).sort()).toEqual([...sections].sort());
  // Every section's figures are there, and printable.
  expect(results.routes?.routes).toHaveLength(10);
  expect(results.claims?.claim.get.n).toBe(quickScale.cycles);
  expect(results.lookups?.tenantServiceCalls).toBe(1);
  expect(results.cold?.functions.every((f) => f.status === 200 || f.status === 201 || f.status === 'ok')).toBe(true);
  expect(results.cleanup?.run.failures).toBe(0);
  // At least the benchmark's own: other files' finished copies may still be there for it to clear.
  expect(results.cleanup?.run.counts.deleteJob).toBeGreaterThanOrEqual(2);
  expect(results.cleanup?.run.counts.recycleVolume).toBeGreaterThanOrEqual(4);
  expect(Object.keys(results.original?.runs ?? {})).toEqual(['1', '8']);
  expect(results.original?.runs['8']?.claim.original.cyclesPerSecond).toBeGreaterThan(0);
  expect(results.roster?.runs[0]?.roster.summary.created).toBe(quickScale.roster[0]);
  expect(results.inventory?.timings.firstPage.items).toBe(quickScale.inventory.pageSize);
  // Every copy told once by the first notifier run, none by the second (the section throws otherwise).
  expect(results.notices?.first.ofCopies).toBe(quickScale.notices);
  expect(results.notices?.first.duplicates).toBe(0);
  expect(results.notices?.second.ofCopies).toBe(0);
  expect(results.notices?.first.maxRssMiB).toBeGreaterThan(0);
  // Each start made its plan's copies (15 students a copy, 24 in a shared claim: the section throws otherwise).
  expect(results.operations?.distribution.copies).toBe(Math.ceil(quickScale.operations / 15));
  expect(results.operations?.shared.copies).toBe(Math.ceil(quickScale.operations / 24));
  expect(results.operations?.collection.copies).toBe(Math.ceil(quickScale.operations / 15));
  expect(results.operations?.reads.again.students).toBe(quickScale.operations);
  expect(results.operations?.distribution.apiCalls).toBeGreaterThan(0);
  // The walk answered each of the student's snapshots once, newest first, none of the others' (the section throws
  // otherwise); the last page is the last.
  expect(results.snapshots?.walk.distinct).toBe(quickScale.snapshots.entries);
  expect(results.snapshots?.first.items).toBe(quickScale.snapshots.pageSize);
  expect(results.snapshots?.last.continued).toBe(false);
  expect(printResults(results)).toContain('7. Side by side with the original');
}, 300_000);
