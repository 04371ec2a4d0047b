// `npm run bench`: how close the service comes to its limits, on the local cluster. Prints a table and writes
// .local/bench/results.json. Benchmarks, not tests: the goals are printed beside the figures, never asserted.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { depsFrom } from '../lib/app/deps.ts';
import { loadConfig } from '../lib/config/config.ts';
import { TenantSchema } from '../lib/tenants/tenant.ts';
import { type LocalCluster, startCluster } from '../tools/cluster/cluster.ts';
import { freePort } from '../tools/cluster/processes.ts';
import { stopOnSignals } from '../tools/lifecycle.ts';
import { type Offline, projectRoot, startOffline } from '../tools/offline.ts';
import { prepareTenants } from '../tools/tenants.ts';
import { buildBundles } from './bundles.ts';
import { type ClaimRoutesResult, claimRoutes, printClaimRoutes } from './claim-routes.ts';
import { type CleanupScaleResult, cleanupAtScale } from './cleanup-scale.ts';
import { type ColdStartResult, coldStarts } from './cold-start.ts';
import { printRoutes, type RoutesResult, routesAgainstRaw } from './routes.ts';
import { type TenantLookupResult, tenantLookups } from './tenant-lookups.ts';

interface BenchResults {
  date: string;
  node: string;
  routes?: RoutesResult;
  lookups?: TenantLookupResult;
  cold?: ColdStartResult;
  cleanup?: CleanupScaleResult;
  claims?: ClaimRoutesResult;
}

// `npm run bench -- claims cleanup` runs only those sections; no argument runs them all.
const sections = ['routes', 'lookups', 'cold', 'cleanup', 'claims'] as const;
const asked = process.argv.slice(2);
const unknown = asked.filter((a) => !(sections as readonly string[]).includes(a));
if (unknown.length > 0) {
  process.stderr.write(`[bench] unknown section(s) ${unknown.join(', ')}; sections: ${sections.join(', ')}\n`);
  process.exit(2);
}
const runs = (section: (typeof sections)[number]): boolean => asked.length === 0 || asked.includes(section);

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const cycles = Number(process.env.BENCH_CYCLES ?? 200);
const outDir = join(projectRoot, '.local/bench');
const tenantsFile = join(projectRoot, 'tenants.local.json');
const tenant = TenantSchema.parse((JSON.parse(readFileSync(tenantsFile, 'utf8')) as { tenants: unknown[] }).tenants[0]);
const namespace = tenant.namespace!;

let offline: Offline | undefined;
let started: LocalCluster | undefined;
// Before the start: a signal during it exits, and the cluster's exit handler kills what had started.
stopOnSignals(async () => {
  await offline?.stop();
  await started?.stop();
});
const cluster = (started = await startCluster({ log }));
try {
  await prepareTenants(cluster.adminKubeconfig, [tenant], log);
  const moopkey = randomBytes(18).toString('base64url');
  const env = {
    MOOPKEY: moopkey,
    NAME_KEY: randomBytes(18).toString('base64url'),
    KUBECONFIG: cluster.serviceKubeconfig,
    NFS_SERVER: '10.0.0.2',
    NFS_PREFIX: '/exports/moop/',
    TENANTS_FILE: tenantsFile,
  };
  offline = await startOffline({
    port: await freePort(),
    lambdaPort: await freePort(),
    workFolder: `.esbuild-bench-${process.pid}`,
    env: { ...env, LOG_LEVEL: 'WARN' },
  });
  cluster.adopt({ group: offline.pid, folder: join(projectRoot, offline.workFolder) });
  const results: BenchResults = { date: new Date().toISOString(), node: process.version };
  try {
    const deps = depsFrom(() => loadConfig(env));
    if (runs('routes')) {
      log(`[bench] routes: ${cycles} cycles of every route, in-process, over HTTP and as raw calls`);
      const apiServerPid = cluster.processes.find((p) => p.name === 'kube-apiserver')!.pid!;
      results.routes = await routesAgainstRaw(
        {
          deps,
          moopkey,
          tenant,
          namespace,
          serviceKubeconfig: cluster.serviceKubeconfig,
          apiUrl: offline.url,
          apiServerPid,
        },
        cycles,
        log,
      );
    }
    if (runs('claims')) {
      log(`[bench] claim routes: ${cycles} cycles each of volumes and claims, then claims over 5,000 events`);
      results.claims = await claimRoutes(
        { deps, moopkey, tenant: tenant.id, namespace, adminKubeconfig: cluster.adminKubeconfig },
        cycles,
        log,
      );
    }
    if (runs('lookups')) {
      log('[bench] tenant lookups: 100 concurrent requests for one tenant');
      results.lookups = await tenantLookups(tenant, env, moopkey);
    }
    if (runs('cold') || runs('cleanup')) {
      log('[bench] bundles');
      const bundles = await buildBundles(join(outDir, 'bundles'));
      if (runs('cold')) {
        log('[bench] cold starts');
        results.cold = await coldStarts(bundles, env, moopkey, tenant.id, namespace, cluster.serviceKubeconfig);
      }
      if (runs('cleanup')) {
        log('[bench] cleanup at scale: 10,000 managed objects of 100 tenants');
        results.cleanup = await cleanupAtScale(bundles, env, cluster.adminKubeconfig, namespace, log);
      }
    }
  } finally {
    await offline.stop();
  }

  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  print(results);
  log(`[bench] figures written to ${join(outDir, 'results.json')}`);
} finally {
  await cluster.stop();
}

function print(r: BenchResults): void {
  const line = (cells: (string | number)[], widths: number[]): string =>
    cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  const out: string[] = [];
  if (r.routes) out.push(...printRoutes(r.routes));
  if (r.lookups)
    out.push(
      '',
      `3. Tenant lookups: ${r.lookups.requests} concurrent requests for one tenant -> ${r.lookups.tenantServiceCalls} call(s) to the tenant service in ${r.lookups.wallMs} ms (goal: 1)`,
    );
  if (r.cold) out.push(...printCold(r.cold, line));
  if (r.cleanup) out.push(...printCleanup(r.cleanup));
  if (r.claims) out.push(...printClaimRoutes(r.claims));
  out.push('');
  process.stdout.write(out.join('\n'));
}

type Line = (cells: (string | number)[], widths: number[]) => string;

function printCold(cold: ColdStartResult, line: Line): string[] {
  const r = { cold };
  const out: string[] = [];
  out.push(
    '',
    `4. Cold start (fresh Node process to first answer; Node alone ${r.cold.nodeStartupMs} ms, API server first call ${r.cold.apiFirstCallMs} ms)`,
  );
  const w4 = [18, 12, 16, 8, 10];
  out.push(line(['function', 'bundle KiB', 'first answer ms', 'status', 'goal met'], w4));
  for (const f of r.cold.functions) {
    out.push(
      line(
        [
          f.name,
          f.bundleKiB,
          f.firstAnswerMs,
          f.status,
          f.bundleKiB <= 1536 && f.firstAnswerMs <= 250 + r.cold.apiFirstCallMs ? 'yes' : 'NO',
        ],
        w4,
      ),
    );
  }
  out.push(
    `   goals: bundle <= 1536 KiB; first answer <= 250 ms + API server round trip (${250 + r.cold.apiFirstCallMs} ms)`,
  );
  return out;
}

function printCleanup(c: CleanupScaleResult): string[] {
  const out: string[] = [];
  out.push(
    '',
    `5. Cleanup at scale: ${c.volumes} volumes (${c.releasedVolumes} Released) and ${c.jobs} finished Jobs of ${c.tenants} tenants (made in ${c.setupSeconds} s)`,
  );
  out.push(
    `   run:   ${(c.run.wallMs / 1000).toFixed(1)} s wall (${(c.run.runMs / 1000).toFixed(1)} s in the handler), peak ${c.run.maxRssMiB} MiB, actions ${JSON.stringify(c.run.counts)}, failures ${c.run.failures}`,
  );
  out.push(
    `   rerun: ${(c.rerun.wallMs / 1000).toFixed(1)} s wall, peak ${c.rerun.maxRssMiB} MiB, actions ${JSON.stringify(c.rerun.counts)}`,
  );
  out.push('   goals: under 60 s and under 256 MiB');
  return out;
}
