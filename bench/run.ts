// `npm run bench`: how close the service comes to its limits, on a local cluster of its own. Prints a table and writes
// .local/bench/results.json. Benchmarks, not tests: the goals are printed beside the figures, never asserted; a
// section that cannot run to its end fails the run.
//   npm run bench                       every section, full size (about 25 minutes)
//   npm run bench -- claims cleanup     some sections (original, routes, claims, lookups, roster, cold, cleanup,
//                                       inventory, notices, operations, snapshots)
//   npm run bench -- --quick            every section, a handful of cycles each (what npm test runs, on its cluster)
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TenantSchema } from '../lib/tenants/tenant.ts';
import { type LocalCluster, startCluster } from '../tools/cluster/cluster.ts';
import { freePort } from '../tools/cluster/processes.ts';
import { stopOnSignals } from '../tools/lifecycle.ts';
import { type Offline, projectRoot, startOffline } from '../tools/offline.ts';
import { prepareTenants } from '../tools/tenants.ts';
import { fullScale, printResults, quickScale, runSections, type Section, sections } from './sections.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const asked = args.filter((a) => a !== '--quick');
const unknown = asked.filter((a) => !(sections as readonly string[]).includes(a));
if (unknown.length > 0) {
  process.stderr.write(`[bench] unknown section(s) ${unknown.join(', ')}; sections: ${sections.join(', ')}, --quick\n`);
  process.exit(2);
}
const chosen: Section[] = sections.filter((s) => asked.length === 0 || asked.includes(s));
const scale = { ...(quick ? quickScale : fullScale) };
// BENCH_CYCLES: the measured cycles of the routes and claims sections, e.g. for a quicker full-size run of the others.
if (process.env.BENCH_CYCLES) scale.cycles = Number(process.env.BENCH_CYCLES);

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const began = performance.now();
const tenantsFile = join(projectRoot, 'tenants.local.json');
const tenant = TenantSchema.parse((JSON.parse(readFileSync(tenantsFile, 'utf8')) as { tenants: unknown[] }).tenants[0]);

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
  // The service's settings as `npm start` has them (.env.example's tenants file, NFS server and prefix), with keys of
  // this run's own.
  const env = {
    MOOPKEY: randomBytes(18).toString('base64url'),
    NAME_KEY: randomBytes(18).toString('base64url'),
    KUBECONFIG: cluster.serviceKubeconfig,
    NFS_SERVER: '10.0.0.2',
    NFS_PREFIX: '/exports/moop/',
    TENANTS_FILE: tenantsFile,
    LOG_LEVEL: 'WARN',
  };
  // serverless-offline as `npm start` starts it (tools/offline.ts), in a work folder of its own.
  offline = await startOffline({
    port: await freePort(),
    lambdaPort: await freePort(),
    workFolder: `.esbuild-bench-${process.pid}`,
    env,
  });
  cluster.adopt({ group: offline.pid, folder: join(projectRoot, offline.workFolder) });
  const outDir = join(projectRoot, '.local/bench', quick ? 'quick' : '');
  try {
    const results = await runSections(
      {
        adminKubeconfig: cluster.adminKubeconfig,
        serviceKubeconfig: cluster.serviceKubeconfig,
        apiServerPid: cluster.processes.find((p) => p.name === 'kube-apiserver')!.pid!,
        offline,
        tenant,
        env,
      },
      { sections: chosen, scale, outDir, log },
    );
    process.stdout.write(printResults(results));
  } finally {
    await offline.stop();
  }
  log(`[bench] figures written to ${join(outDir, 'results.json')}`);
} finally {
  await cluster.stop();
}
log(`[bench] ${scale.name} run of ${chosen.join(', ')} took ${Math.round((performance.now() - began) / 1000)} s`);
