// `npm run cluster:stats`: starts the local cluster, lets it settle, and prints its start time (and its real node's),
// memory at rest, and how long a copy takes on the real node from POST /pods to finished, through the route's handler.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHandler as createCopy } from '../functions/pods/post.ts';
import { depsFrom } from '../lib/app/deps.ts';
import { loadConfig } from '../lib/config/config.ts';
import { TenantSchema } from '../lib/tenants/tenant.ts';
import { type LocalCluster, startCluster } from '../tools/cluster/cluster.ts';
import { httpEvent, invokeHttp } from '../tools/lambda.ts';
import { stopOnSignals } from '../tools/lifecycle.ts';
import { projectRoot } from '../tools/offline.ts';
import { prepareTenants } from '../tools/tenants.ts';

const settleSeconds = Number(process.env.SETTLE_SECONDS ?? 30);
const started = Date.now();
let nodeSeconds: string | undefined;
let cluster: LocalCluster | undefined;
// Before the start: a signal during it exits, and the cluster's exit handler kills what had started.
stopOnSignals(async () => cluster?.stop());
cluster = await startCluster({
  log: (line) => {
    nodeSeconds ??= /real node \S+ Ready in ([\d.]+)s/.exec(line)?.[1];
    console.error(line);
  },
});
const startSeconds = (Date.now() - started) / 1000;
try {
  await sleep(settleSeconds * 1000);
  const rssMiB = (pid: number | undefined): number => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  };
  let total = 0;
  let node = 0;
  console.log(
    `cluster start (warm cache): ${startSeconds.toFixed(1)} s${nodeSeconds ? `, of which the real node until Ready: ${nodeSeconds} s` : ''}`,
  );
  console.log(`memory at rest after ${settleSeconds} s (RSS):`);
  for (const p of cluster.processes) {
    const mib = rssMiB(p.pid);
    total += mib;
    if (p.name === 'kubelet' || p.name === 'containerd') node += mib;
    console.log(`  ${p.name.padEnd(24)} ${mib.toFixed(0).padStart(5)} MiB`);
  }
  console.log(`  ${'total'.padEnd(24)} ${total.toFixed(0).padStart(5)} MiB`);
  if (cluster.realNode) {
    console.log(`  ${'real node (kubelet, containerd)'.padEnd(24)} ${node.toFixed(0).padStart(5)} MiB`);
    const ms = await copyTimes(cluster, 5);
    console.log(
      `copy on the real node, POST /pods (wait) to finished, in-process handler: ${ms.map((m) => m.toFixed(0)).join(', ')} ms (median ${ms.sort((a, b) => a - b)[2]!.toFixed(0)} ms)`,
    );
  }
} finally {
  await cluster.stop();
}

/** Runs runs copies (`cp` of a small file in a Pod on the real node) through POST /pods's handler and times each. */
async function copyTimes(c: LocalCluster, runs: number): Promise<number[]> {
  const work = mkdtempSync(join(tmpdir(), 'moop-stats-'));
  try {
    const tenant = realNodeTenant();
    writeFileSync(join(work, 'tenants.json'), JSON.stringify({ tenants: [tenant] }));
    await prepareTenants(c.adminKubeconfig, [TenantSchema.parse(tenant)], () => undefined);
    const moopkey = randomBytes(18).toString('base64url');
    const config = loadConfig({
      MOOPKEY: moopkey,
      NAME_KEY: randomBytes(18).toString('base64url'),
      KUBECONFIG: c.serviceKubeconfig,
      TENANTS_FILE: join(work, 'tenants.json'),
      NFS_SERVER: '10.0.0.2',
      NFS_PREFIX: '/exports/',
    });
    const handler = createCopy(depsFrom(() => config));
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = Date.now();
      const answer = await invokeHttp(
        handler,
        httpEvent('POST', '/service/v1/pods', moopkey, {
          body: { tenant: tenant.id, cmd: 'mkdir -p /tmp/a && cp -r /bin/busybox /tmp/a/', wait: 20 },
        }),
      );
      const copy = answer.body as { status?: { phase?: string }; statusReason?: unknown };
      if (answer.status !== 201 || copy.status?.phase !== 'Succeeded')
        throw new Error(`the copy did not succeed: ${JSON.stringify(copy.statusReason ?? copy)}`);
      times.push(Date.now() - t);
    }
    return times;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The local demo tenant, in a namespace of its own, whose copies are bare Pods that run on the real node. */
function realNodeTenant() {
  const demo = (
    JSON.parse(readFileSync(join(projectRoot, 'tenants.local.json'), 'utf8')) as {
      tenants: { resources: { templates: Record<string, any> } }[];
    }
  ).tenants[0]!;
  const job = demo.resources.templates.pod;
  const onNode = {
    nodeSelector: { 'moop.io/real-node': 'true' },
    tolerations: [{ key: 'moop.io/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
  };
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'job-{}-{}' },
    spec: { ...job.spec.template.spec, ...onNode },
  };
  return {
    ...demo,
    id: '5c88a9ec5b6c2e3c4a3b2dfe',
    namespace: 'stats-real',
    resources: { templates: { ...demo.resources.templates, pod } },
  };
}
