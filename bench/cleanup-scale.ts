// Cleanup at scale: one scheduled run over 10,000 managed objects of 100 tenants (volumes, half of them Released,
// and finished Jobs), in a fresh process: how long it takes and its peak memory. Each tenant has its namespace
// prepared and its volumes in its own NFS folder, as the service makes them, so that the cluster's admission policy
// lets cleanup's recycling through; a run that fails on any object fails the benchmark.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { KubeClient } from '../lib/kube/client.ts';
import { loadKubeconfig } from '../lib/kube/kubeconfig.ts';
import type { Tenant } from '../lib/tenants/tenant.ts';
import { prepareTenants } from '../tools/tenants.ts';
import type { Bundle } from './bundles.ts';
import { lastLine, runNode } from './stats.ts';

export interface CleanupScaleResult {
  tenants: number;
  volumes: number;
  releasedVolumes: number;
  jobs: number;
  setupSeconds: number;
  run: CleanupRun;
  rerun: CleanupRun;
}

interface CleanupRun {
  wallMs: number;
  runMs: number;
  counts: Record<string, number>;
  failures: number;
  /** The first few failures, as the summary names them. */
  failed: unknown[];
  maxRssMiB: number;
}

/** How many tenants, and objects of each. */
export interface CleanupShape {
  tenants: number;
  volumesPerTenant: number;
  jobsPerTenant: number;
}

const benchLabel = 'moop.io/bench';

async function runChild(bundle: string, event: unknown, env: NodeJS.ProcessEnv): Promise<CleanupRun> {
  const script = join(import.meta.dirname, 'cleanup-child.ts');
  const { wallMs, out } = await runNode([script, bundle, JSON.stringify(event)], env, 'cleanup');
  return { wallMs: Math.round(wallMs), ...(lastLine(out) as Omit<CleanupRun, 'wallMs'>) };
}

const benchSelector = { labelSelector: `${benchLabel}=true` };

/** The benchmark's tenants: ids MOOP could have given (24 hex digits), each in a namespace of its own. */
function benchTenants(template: Tenant, count: number): Tenant[] {
  return Array.from({ length: count }, (_, t) => ({
    ...template,
    id: `be0c${String(t).padStart(20, '0')}`,
    name: `Bench school ${t}`,
    namespace: `bench-cleanup-${t}`,
  }));
}

/**
 * Makes the tenants' objects, waits until the cluster has settled them, then runs cleanup twice, each in a fresh
 * process that knows the tenants (none of them is an orphan). Throws if a run fails on any object.
 */
export async function cleanupAtScale(
  bundles: Bundle[],
  env: Record<string, string>,
  setup: { adminKubeconfig: string; tenant: Tenant; outDir: string },
  shape: CleanupShape,
  log: (l: string) => void,
): Promise<CleanupScaleResult> {
  const admin = new KubeClient(loadKubeconfig({ file: setup.adminKubeconfig }), { timeoutMs: 30_000 });
  const tenants = benchTenants(setup.tenant, shape.tenants);
  const expected = expectedOf(shape);
  const started = performance.now();
  try {
    await prepareTenants(setup.adminKubeconfig, tenants, () => undefined);
    await makeObjects(admin, tenants, shape, env.NFS_PREFIX!, log);
    await waitForJobs(admin, expected.jobs);
    await waitForVolumePhases(admin, expected, log);
    const setupSeconds = Math.round((performance.now() - started) / 1000);
    log(`[bench] cleanup at scale: ${expected.objects} objects ready in ${setupSeconds}s; running cleanup`);
    const tenantsFile = join(setup.outDir, 'cleanup-tenants.json');
    writeFileSync(tenantsFile, JSON.stringify({ tenants: [setup.tenant, ...tenants] }));
    const bundle = bundles.find((b) => b.name === 'cleanup')!.file;
    const childEnv = {
      ...env,
      TENANT_SERVICE_URL: '',
      TENANTS_FILE: tenantsFile,
      PATH: process.env.PATH,
      POWERTOOLS_LOG_LEVEL: 'WARN',
    };
    const event = { action: 'scheduled', retentionSeconds: 0, pvPolicy: 'recycle' };
    const run = await runChild(bundle, event, childEnv);
    const rerun = await runChild(bundle, event, childEnv);
    for (const r of [run, rerun])
      if (r.failures > 0)
        throw new Error(`cleanup at scale: ${r.failures} failure(s), e.g. ${JSON.stringify(r.failed).slice(0, 600)}`);
    return {
      tenants: shape.tenants,
      volumes: expected.volumes,
      releasedVolumes: expected.released,
      jobs: expected.jobs,
      setupSeconds,
      run,
      rerun,
    };
  } finally {
    await removeAll(admin, tenants);
    await admin.close();
  }
}

function expectedOf(shape: CleanupShape) {
  const volumes = shape.tenants * shape.volumesPerTenant;
  const jobs = shape.tenants * shape.jobsPerTenant;
  // Every other volume of a tenant is Released.
  const released = shape.tenants * Math.ceil(shape.volumesPerTenant / 2);
  return { volumes, jobs, released, objects: volumes + jobs };
}

/** The benchmark's objects and the tenants' namespaces. */
async function removeAll(admin: KubeClient, tenants: Tenant[]): Promise<void> {
  const quietly = (p: Promise<unknown>) => p.catch(() => undefined);
  await quietly(admin.request({ method: 'DELETE', path: '/api/v1/persistentvolumes', query: benchSelector }));
  for (const t of tenants) {
    await quietly(
      admin.request({
        method: 'DELETE',
        path: `/apis/batch/v1/namespaces/${t.namespace}/jobs`,
        query: { ...benchSelector, propagationPolicy: 'Background' },
      }),
    );
    await quietly(admin.request({ method: 'DELETE', path: `/api/v1/namespaces/${t.namespace}` }));
  }
}

const meta = (t: Tenant, name: string) => ({
  name,
  labels: {
    'app.kubernetes.io/managed-by': 'moop-resource-service',
    'moop.io/tenant': t.id,
    [benchLabel]: 'true',
  },
  annotations: { 'moop.io/tenant': t.id },
});

/** Every tenant's volumes and Jobs, 32 requests at a time. */
async function makeObjects(
  admin: KubeClient,
  tenants: Tenant[],
  shape: CleanupShape,
  nfsPrefix: string,
  log: (l: string) => void,
): Promise<void> {
  const limit = pLimit(32);
  const work: Promise<unknown>[] = [];
  for (const [t, tenant] of tenants.entries()) {
    for (let i = 0; i < shape.volumesPerTenant; i++) work.push(limit(() => makeVolume(admin, tenant, t, i, nfsPrefix)));
    for (let j = 0; j < shape.jobsPerTenant; j++) work.push(limit(() => makeJob(admin, tenant, t, j)));
  }
  let done = 0;
  for (const w of work) {
    await w;
    if (++done % 2000 === 0) log(`[bench] cleanup at scale: ${done}/${work.length} objects made`);
  }
}

/**
 * Volume i of tenant t, in the tenant's NFS folder and reserved for a claim in its namespace, as the service makes
 * them; every other one bound to a claim that is gone, so Released.
 */
async function makeVolume(admin: KubeClient, tenant: Tenant, t: number, i: number, nfsPrefix: string): Promise<void> {
  const released = i % 2 === 0;
  const name = `bench-pv-${tenant.id}-${i}`;
  const uid = `00000000-0000-0000-0000-${String(t * 1000 + i).padStart(12, '0')}`;
  const claimRef = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    namespace: tenant.namespace,
    name: `pvc-${tenant.id}-gone-${i}`,
    ...(released ? { uid } : {}),
  };
  const spec = {
    accessModes: ['ReadWriteMany'],
    capacity: { storage: '1Mi' },
    nfs: { server: '10.0.0.2', path: `${nfsPrefix}${tenant.namespace}/bench/${i}` },
    persistentVolumeReclaimPolicy: 'Retain',
    claimRef,
  };
  await admin.request({
    method: 'POST',
    path: '/api/v1/persistentvolumes',
    body: { apiVersion: 'v1', kind: 'PersistentVolume', metadata: meta(tenant, name), spec },
  });
  // The claim is gone: the PV controller agrees the volume is Released, as after a real claim's deletion.
  if (released) {
    await admin.request({
      method: 'PATCH',
      path: `/api/v1/persistentvolumes/${name}/status`,
      contentType: 'application/merge-patch+json',
      body: { status: { phase: 'Released' } },
    });
  }
}

async function makeJob(admin: KubeClient, tenant: Tenant, t: number, j: number): Promise<unknown> {
  const template = {
    metadata: { labels: { [benchLabel]: 'true' } },
    spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', args: ['true'] }] },
  };
  return admin.request({
    method: 'POST',
    path: `/apis/batch/v1/namespaces/${tenant.namespace}/jobs`,
    body: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta(tenant, `job-${tenant.id}-${t}-${j}`),
      spec: { template },
    },
  });
}

/** What throws, saying what was last seen, once seconds have passed. */
function giveUpAfter(what: string, seconds: number): (state: string) => void {
  const deadline = Date.now() + seconds * 1000;
  return (state) => {
    if (Date.now() > deadline)
      throw new Error(`cleanup at scale: gave up after ${seconds} s waiting for ${what}; last seen ${state}`);
  };
}

async function waitForJobs(admin: KubeClient, jobs: number): Promise<void> {
  const giveUp = giveUpAfter(`${jobs} Jobs to succeed`, 600);
  for (;;) {
    const list = await admin.request<{ items: { status?: { succeeded?: number } }[] }>({
      method: 'GET',
      path: '/apis/batch/v1/jobs',
      query: benchSelector,
    });
    const succeeded = list.items.filter((j) => j.status?.succeeded === 1).length;
    if (succeeded === jobs) return;
    giveUp(`${succeeded} succeeded`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Waits until the PV controller has caught up with every volume: Released ones stay Released, the rest Available. */
async function waitForVolumePhases(
  admin: KubeClient,
  { volumes, released }: { volumes: number; released: number },
  log: (l: string) => void,
): Promise<void> {
  const giveUp = giveUpAfter(`the PV controller to mark ${released} volumes Released and the rest Available`, 600);
  for (let polls = 0; ; polls++) {
    const phases = await volumePhases(admin);
    if (phases.Released === released && phases.Available === volumes - released) return;
    giveUp(JSON.stringify(phases));
    if (polls % 10 === 0) log(`[bench] cleanup at scale: waiting for the PV controller: ${JSON.stringify(phases)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** How many of the benchmark's volumes are in each phase, listed page by page. */
async function volumePhases(admin: KubeClient): Promise<Record<string, number>> {
  const phases: Record<string, number> = {};
  let token: string | undefined;
  do {
    const page = await admin.request<{ items: { status?: { phase?: string } }[]; metadata?: { continue?: string } }>({
      method: 'GET',
      path: '/api/v1/persistentvolumes',
      query: { ...benchSelector, limit: 2000, continue: token },
    });
    for (const pv of page.items) phases[pv.status?.phase ?? 'none'] = (phases[pv.status?.phase ?? 'none'] ?? 0) + 1;
    token = page.metadata?.continue;
  } while (token);
  return phases;
}

/** The printed lines, with the goals. */
export function printCleanup(c: CleanupScaleResult): string[] {
  const ok = (r: CleanupRun): string => (r.wallMs <= 60_000 && r.maxRssMiB <= 256 ? 'ok' : 'MISSED');
  return [
    '',
    `5. Cleanup at scale: ${c.volumes} volumes (${c.releasedVolumes} Released) and ${c.jobs} finished Jobs of ${c.tenants} tenants (made in ${c.setupSeconds} s)`,
    `   run:   ${(c.run.wallMs / 1000).toFixed(1)} s wall (${(c.run.runMs / 1000).toFixed(1)} s in the handler), peak ${c.run.maxRssMiB} MiB, actions ${JSON.stringify(c.run.counts)}, failures ${c.run.failures} (${ok(c.run)})`,
    `   rerun: ${(c.rerun.wallMs / 1000).toFixed(1)} s wall, peak ${c.rerun.maxRssMiB} MiB, actions ${JSON.stringify(c.rerun.counts)} (${ok(c.rerun)})`,
    '   goals: under 60 s and under 256 MiB; no failure',
  ];
}
