// Cleanup at scale: one scheduled run over 10,000 managed objects of 100 tenants (volumes, half of them Released,
// and finished Jobs), in a fresh process: how long it takes and its peak memory.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { KubeClient } from '../lib/kube/client.ts';
import { loadKubeconfig } from '../lib/kube/kubeconfig.ts';
import type { Bundle } from './bundles.ts';
import { lastLine } from './stats.ts';

export interface CleanupScaleResult {
  tenants: number;
  volumes: number;
  releasedVolumes: number;
  jobs: number;
  setupSeconds: number;
  run: { wallMs: number; runMs: number; counts: Record<string, number>; failures: number; maxRssMiB: number };
  rerun: { wallMs: number; runMs: number; counts: Record<string, number>; failures: number; maxRssMiB: number };
}

const benchLabel = 'moop.io/bench';

function runChild(bundle: string, event: unknown, env: NodeJS.ProcessEnv): Promise<CleanupScaleResult['run']> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'cleanup-child.ts'), bundle, JSON.stringify(event)],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`cleanup exited ${code}: ${err.slice(-2000)}`));
      resolve({
        wallMs: Math.round(performance.now() - started),
        ...(lastLine(out) as Omit<CleanupScaleResult['run'], 'wallMs'>),
      });
    });
  });
}

const tenants = 100;
const volumesPerTenant = 95;
const jobsPerTenant = 5;
const jobs = tenants * jobsPerTenant;
/** Every other volume of a tenant is Released. */
const releasedVolumes = tenants * Math.ceil(volumesPerTenant / 2);
const benchSelector = { labelSelector: `${benchLabel}=true` };

/**
 * Makes 10,000 managed objects, waits until the cluster has settled them, then runs cleanup twice, each in a fresh
 * process.
 */
export async function cleanupAtScale(
  bundles: Bundle[],
  env: Record<string, string>,
  adminKubeconfig: string,
  namespace: string,
  log: (l: string) => void,
): Promise<CleanupScaleResult> {
  const admin = new KubeClient(loadKubeconfig({ file: adminKubeconfig }), { timeoutMs: 30_000 });
  const started = performance.now();
  try {
    await makeObjects(admin, namespace, log);
    await waitForJobs(admin, namespace);
    await waitForVolumePhases(admin, log);
    const setupSeconds = Math.round((performance.now() - started) / 1000);
    log(
      `[bench] cleanup at scale: ${tenants * (volumesPerTenant + jobsPerTenant)} objects ready in ${setupSeconds}s; running cleanup`,
    );
    const bundle = bundles.find((b) => b.name === 'cleanup')!.file;
    const childEnv = { ...env, PATH: process.env.PATH, POWERTOOLS_LOG_LEVEL: 'WARN' };
    const run = await runChild(bundle, { action: 'scheduled', retentionSeconds: 0, pvPolicy: 'recycle' }, childEnv);
    const rerun = await runChild(bundle, { action: 'scheduled', retentionSeconds: 0, pvPolicy: 'recycle' }, childEnv);
    return { tenants, volumes: tenants * volumesPerTenant, releasedVolumes, jobs, setupSeconds, run, rerun };
  } finally {
    await admin
      .request({ method: 'DELETE', path: '/api/v1/persistentvolumes', query: benchSelector })
      .catch(() => undefined);
    await admin
      .request({
        method: 'DELETE',
        path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
        query: { ...benchSelector, propagationPolicy: 'Background' },
      })
      .catch(() => undefined);
    await admin.close();
  }
}

const meta = (t: number, name: string) => ({
  name,
  labels: {
    'app.kubernetes.io/managed-by': 'moop-resource-service',
    'moop.io/tenant': `bench-tenant-${t}`,
    [benchLabel]: 'true',
  },
  annotations: { 'moop.io/tenant': `bench-tenant-${t}` },
});

/** Every tenant's volumes and Jobs, 32 requests at a time. */
async function makeObjects(admin: KubeClient, namespace: string, log: (l: string) => void): Promise<void> {
  const limit = pLimit(32);
  const work: Promise<unknown>[] = [];
  for (let t = 0; t < tenants; t++) {
    for (let i = 0; i < volumesPerTenant; i++) work.push(limit(() => makeVolume(admin, t, i, namespace)));
    for (let j = 0; j < jobsPerTenant; j++) work.push(limit(() => makeJob(admin, t, j, namespace)));
  }
  let done = 0;
  for (const w of work) {
    await w;
    if (++done % 2000 === 0) log(`[bench] cleanup at scale: ${done}/${work.length} objects made`);
  }
}

/** Volume i of tenant t; every other one bound to a claim that is gone, so Released. */
async function makeVolume(admin: KubeClient, t: number, i: number, namespace: string): Promise<void> {
  const released = i % 2 === 0;
  const name = `bench-pv-${t}-${i}`;
  const uid = `00000000-0000-0000-0000-${String(t * 1000 + i).padStart(12, '0')}`;
  const claimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: `gone-${t}-${i}`, uid };
  const spec = {
    accessModes: ['ReadWriteMany'],
    capacity: { storage: '1Mi' },
    nfs: { server: '10.0.0.2', path: `/exports/bench/${t}/${i}` },
    ...(released ? { claimRef } : {}),
  };
  await admin.request({
    method: 'POST',
    path: '/api/v1/persistentvolumes',
    body: { apiVersion: 'v1', kind: 'PersistentVolume', metadata: meta(t, name), spec },
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

async function makeJob(admin: KubeClient, t: number, j: number, namespace: string): Promise<unknown> {
  const template = {
    metadata: { labels: { [benchLabel]: 'true' } },
    spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', args: ['true'] }] },
  };
  return admin.request({
    method: 'POST',
    path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
    body: { apiVersion: 'batch/v1', kind: 'Job', metadata: meta(t, `bench-job-${t}-${j}`), spec: { template } },
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

async function waitForJobs(admin: KubeClient, namespace: string): Promise<void> {
  const giveUp = giveUpAfter(`${jobs} Jobs to succeed`, 600);
  for (;;) {
    const list = await admin.request<{ items: { status?: { succeeded?: number } }[] }>({
      method: 'GET',
      path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
      query: benchSelector,
    });
    const succeeded = list.items.filter((j) => j.status?.succeeded === 1).length;
    if (succeeded === jobs) return;
    giveUp(`${succeeded} succeeded`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Waits until the PV controller has caught up with every volume: Released ones stay Released, the rest Available. */
async function waitForVolumePhases(admin: KubeClient, log: (l: string) => void): Promise<void> {
  const giveUp = giveUpAfter(
    `the PV controller to mark ${releasedVolumes} volumes Released and the rest Available`,
    600,
  );
  for (let polls = 0; ; polls++) {
    const phases = await volumePhases(admin);
    if (phases.Released === releasedVolumes && phases.Available === tenants * volumesPerTenant - releasedVolumes)
      return;
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
