// Completion notices at scale: in a namespace of a tenant of the benchmark's own, 1,000 copies asked to be told
// (POST /service/v1/pods with notify and no wait, its handler called in-process as Lambda calls it: the route makes
// each copy and records its notice), left to kwok to finish, then the notifier function run once in a fresh process,
// with the service's settings and its real EventBridge publisher against moto's EventBridge: its time, its peak
// memory, the events EventBridge took, its PutEvents and Kubernetes calls; then a second run, which has nothing left to
// tell. The tenant's pod template is a bare Pod, as every real MOOP tenant record's. A first run that does not publish
// exactly one event per copy, or a second that publishes one for any copy, fails the benchmark. Everything made is
// removed, the namespace too.

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { createHandler as createCopy } from '../functions/pods/post.ts';
import { depsFrom } from '../lib/app/deps.ts';
import { eventBridge } from '../lib/aws/events.ts';
import { loadConfig } from '../lib/config/config.ts';
import { KubeClient } from '../lib/kube/client.ts';
import { loadKubeconfig } from '../lib/kube/kubeconfig.ts';
import type { NotifierSummary } from '../lib/notices/notifier.ts';
import { noticeLabel } from '../lib/notices/record.ts';
import { noticeSource } from '../lib/notices/schemas.ts';
import { recordsNamespace, tenantLabel } from '../lib/ownership/ownership.ts';
import type { Tenant } from '../lib/tenants/tenant.ts';
import { freePort, killQuietly, onExit, probe } from '../tools/cluster/processes.ts';
import { httpEvent, invokeHttp } from '../tools/lambda.ts';
import { projectRoot } from '../tools/offline.ts';
import { prepareTenants } from '../tools/tenants.ts';
import type { BenchContext } from './context.ts';
import { sectionTenant } from './section-tenant.ts';
import { lastLine, runNode } from './stats.ts';

/** One notifier run, in a process of its own. */
export interface NoticeRun {
  /** From the process's start to its exit, and in the handler. */
  wallMs: number;
  runMs: number;
  namespaces: number;
  /** Notices the run found, in every tenant namespace. */
  notices: number;
  published: Record<string, number>;
  /** Events EventBridge took, of any notice; of this section's copies (distinct eventIds); taken twice. */
  events: number;
  ofCopies: number;
  duplicates: number;
  putEvents: number;
  apiCalls: number;
  rssBeforeMiB: number;
  maxRssMiB: number;
}

export interface NoticesResult {
  copies: number;
  /** Copies asked for at once. */
  concurrency: number;
  /** Making the copies and their notices; then until kwok had finished every one. */
  makeSeconds: number;
  finishSeconds: number;
  first: NoticeRun;
  second: NoticeRun;
}

const concurrency = 16;
const fakeAws = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'eu-west-1' };

/** Makes the copies, waits for kwok to finish them, runs the notifier twice, and removes everything. */
export async function noticesAtScale(
  ctx: BenchContext,
  outDir: string,
  copies: number,
  log: (l: string) => void,
): Promise<NoticesResult> {
  const tenant = sectionTenant(ctx.tenant, {
    id: 'be2e00000000000000000000',
    name: 'Bench notices school',
    namespace: 'bench-notices',
  });
  const namespace = tenant.namespace!;
  const tenantsFile = join(outDir, 'notices-tenants.json');
  writeFileSync(tenantsFile, JSON.stringify({ tenants: [ctx.tenant, tenant] }));
  const admin = new KubeClient(loadKubeconfig({ file: ctx.adminKubeconfig }), { timeoutMs: 60_000 });
  const moto = await startMoto();
  const events = new EventBridgeClient({
    endpoint: moto.url,
    region: fakeAws.AWS_REGION,
    credentials: { accessKeyId: fakeAws.AWS_ACCESS_KEY_ID, secretAccessKey: fakeAws.AWS_SECRET_ACCESS_KEY },
  });
  const deps = depsFrom(() => loadConfig({ ...ctx.env, TENANTS_FILE: tenantsFile }));
  try {
    await prepareTenants(ctx.adminKubeconfig, [tenant], () => undefined);
    const started = performance.now();
    // The route publishes at once what its answer shows ended (nothing, without a wait): on moto too.
    const post = createCopy({ ...deps, publisher: () => eventBridge('default', noticeSource, events) });
    const uids = await makeCopies(post, ctx.env.MOOPKEY!, tenant.id, copies, log);
    const makeSeconds = seconds(started);
    log(`[bench] notices: ${copies} copies asked to be told in ${makeSeconds} s; waiting for kwok to finish them`);
    const finishing = performance.now();
    await untilFinished(admin, namespace, uids, log);
    const finishSeconds = seconds(finishing);
    log(`[bench] notices: every copy finished ${finishSeconds} s later; running the notifier`);
    const childEnv = {
      ...ctx.env,
      ...fakeAws,
      TENANTS_FILE: tenantsFile,
      AWS_ENDPOINT_URL_EVENTBRIDGE: moto.url,
      PATH: process.env.PATH,
      POWERTOOLS_LOG_LEVEL: 'WARN',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    const first = await runChild(childEnv, uids);
    const second = await runChild(childEnv, uids);
    if (first.ofCopies !== copies || first.duplicates > 0)
      throw new Error(
        `notices: the first run published ${first.ofCopies} distinct event(s) for ${copies} finished copies (${first.duplicates} twice); ${JSON.stringify(first)}`,
      );
    if (second.ofCopies > 0)
      throw new Error(`notices: the second run published ${second.ofCopies} event(s) for copies told already`);
    return { copies, concurrency, makeSeconds, finishSeconds, first, second };
  } finally {
    events.destroy();
    await deps
      .kube()
      .then((k) => k.close())
      .catch(() => undefined);
    moto.stop();
    await removeAll(admin, tenant, log);
    await admin.close();
  }
}

const seconds = (since: number): number => Math.round((performance.now() - since) / 100) / 10;

/** The copies, each asked to be told with a correlation id of its own, concurrency at a time; their uids. */
async function makeCopies(
  post: unknown,
  moopkey: string,
  tenant: string,
  copies: number,
  log: (l: string) => void,
): Promise<Set<string>> {
  const limit = pLimit(concurrency);
  let made = 0;
  const uids = await Promise.all(
    Array.from({ length: copies }, (_, i) =>
      limit(async () => {
        const body = { tenant, cmd: 'true', notify: { id: `bench-notices-${i}` } };
        const answer = await invokeHttp<{ metadata?: { uid?: string } }>(
          post,
          httpEvent('POST', '/service/v1/pods', moopkey, { body }),
        );
        if (answer.status !== 201 || !answer.body.metadata?.uid)
          throw new Error(`notices: POST /service/v1/pods answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        if (++made % 250 === 0) log(`[bench] notices: ${made}/${copies} copies made`);
        return answer.body.metadata.uid;
      }),
    ),
  );
  return new Set(uids);
}

/** Waits until every copy has Succeeded on kwok and every notice is kept. */
async function untilFinished(
  admin: KubeClient,
  namespace: string,
  uids: Set<string>,
  log: (l: string) => void,
): Promise<void> {
  const giveUpAt = Date.now() + 600_000;
  for (let polls = 1; ; polls++) {
    const [pods, maps] = await Promise.all([
      admin.request<{ items: V1Pod[] }>({ method: 'GET', path: `/api/v1/namespaces/${namespace}/pods` }),
      admin.request<{ items: V1ConfigMap[] }>({
        method: 'GET',
        path: `/api/v1/namespaces/${recordsNamespace}/configmaps`,
        query: { labelSelector: noticeLabel },
      }),
    ]);
    const phases: Record<string, number> = {};
    for (const p of pods.items.filter((p) => uids.has(p.metadata!.uid!))) {
      const phase = p.status?.phase ?? 'none';
      phases[phase] = (phases[phase] ?? 0) + 1;
    }
    const notices = maps.items.filter((m) => uids.has(JSON.parse(m.data?.target ?? '{}').uid)).length;
    if (phases.Succeeded === uids.size && notices === uids.size) return;
    const state = `copies ${JSON.stringify(phases)}, notices ${notices}`;
    if (Date.now() > giveUpAt)
      throw new Error(`notices: gave up after 600 s waiting for ${uids.size} copies to succeed; last seen ${state}`);
    if (polls % 10 === 0) log(`[bench] notices: waiting for kwok: ${state}`);
    await sleep(1000);
  }
}

type ChildAnswer = Pick<NoticeRun, 'runMs' | 'putEvents' | 'apiCalls' | 'rssBeforeMiB' | 'maxRssMiB'> & {
  summary?: NotifierSummary;
  error?: string;
  eventIds: string[];
};

/** One notifier run in a fresh process; its figures, the events of the section's copies among those taken. */
async function runChild(env: NodeJS.ProcessEnv, uids: Set<string>): Promise<NoticeRun> {
  const script = join(import.meta.dirname, 'notices-child.ts');
  const { wallMs, out, err } = await runNode([script], env, 'notifier');
  const answer = lastLine(out) as ChildAnswer;
  if (answer.error || !answer.summary) throw new Error(`notifier run failed: ${answer.error}; ${err.slice(-2000)}`);
  const ours = answer.eventIds.filter((id) => uids.has(id.split('/')[0]!));
  const distinct = new Set(ours).size;
  return {
    wallMs: Math.round(wallMs),
    runMs: answer.runMs,
    namespaces: answer.summary.namespaces,
    notices: answer.summary.notices,
    published: answer.summary.published,
    events: answer.eventIds.length,
    ofCopies: distinct,
    duplicates: ours.length - distinct,
    putEvents: answer.putEvents,
    apiCalls: answer.apiCalls,
    rssBeforeMiB: answer.rssBeforeMiB,
    maxRssMiB: answer.maxRssMiB,
  };
}

/** moto in server mode (EventBridge among its services) on a free loopback port, in a process group of its own. */
async function startMoto(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const server = join(projectRoot, '.local/venv/bin/moto_server');
  const child: ChildProcess = spawn(server, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    detached: true,
  });
  child.on('error', () => undefined); // not installed: said below
  const kill = () => child.pid !== undefined && killQuietly(-child.pid);
  const cancel = onExit(kill);
  const stop = () => {
    kill();
    cancel();
  };
  const url = `http://127.0.0.1:${port}`;
  for (const giveUpAt = Date.now() + 20_000; ; ) {
    if ((await probe(`${url}/moto-api/`)) !== undefined) return { url, stop };
    if (child.exitCode !== null || child.pid === undefined || Date.now() > giveUpAt) {
      stop();
      throw new Error(`notices: moto (${server}) did not start on port ${port}: scripts/ensure-python.sh installs it`);
    }
    await sleep(100);
  }
}

/** The copies (at once: they have finished), the tenant's notices left in the records namespace, then the namespace. */
async function removeAll(admin: KubeClient, tenant: Tenant, log: (l: string) => void): Promise<void> {
  const quietly = (p: Promise<unknown>) => p.catch(() => undefined);
  const namespace = tenant.namespace!;
  const ns = `/api/v1/namespaces/${namespace}`;
  await quietly(admin.request({ method: 'DELETE', path: `${ns}/pods`, query: { gracePeriodSeconds: 0 } }));
  await quietly(
    admin.request({
      method: 'DELETE',
      path: `/api/v1/namespaces/${recordsNamespace}/configmaps`,
      query: { labelSelector: `${noticeLabel},${tenantLabel}=${tenant.id}` },
    }),
  );
  await quietly(admin.request({ method: 'DELETE', path: ns }));
  for (let polls = 1, giveUpAt = Date.now() + 300_000; ; polls++) {
    if (!(await quietly(admin.request({ method: 'GET', path: ns })))) return;
    if (Date.now() > giveUpAt) throw new Error(`notices: namespace ${namespace} still there after 300 s`);
    if (polls % 10 === 0) log(`[bench] notices: waiting for namespace ${namespace} to go`);
    await sleep(1000);
  }
}

/** The printed lines, with the goal. */
export function printNotices(r: NoticesResult): string[] {
  const pad = (cells: (string | number)[]) =>
    cells.map((c, i) => String(c).padEnd([8, 9, 22, 11, 11, 8, 14, 0][i]!)).join('  ');
  const row = (name: string, run: NoticeRun) =>
    pad([
      name,
      run.notices,
      `${run.events} (${run.ofCopies})`,
      run.putEvents,
      run.apiCalls,
      (run.wallMs / 1000).toFixed(1),
      (run.runMs / 1000).toFixed(1),
      `${run.rssBeforeMiB} -> ${run.maxRssMiB}`,
    ]);
  const met = r.first.ofCopies === r.copies && r.first.wallMs <= 60_000 && r.first.maxRssMiB <= 512;
  return [
    '',
    `10. Completion notices: ${r.copies} finished copies (bare Pods asked for through POST /service/v1/pods with notify, in-process, ${r.concurrency} at a time, in ${r.makeSeconds} s; all Succeeded on kwok ${r.finishSeconds} s later); the notifier in a fresh process, publishing on moto's EventBridge`,
    pad([
      'run',
      'notices',
      'events (these copies)',
      'PutEvents',
      'API calls',
      'wall s',
      'in handler s',
      'RSS MiB (loaded -> peak)',
    ]),
    row('first', r.first),
    row('second', r.second),
    `   goal: ${r.copies} finished copies noticed in one run within the notifier's 60 s timeout and 512 MB: ${r.first.ofCopies} events in ${(r.first.wallMs / 1000).toFixed(1)} s, peak ${r.first.maxRssMiB} MiB (${met ? 'ok' : 'MISSED'}); the second run told ${r.second.ofCopies}`,
    '   wall: the process from its start to its exit; API calls: the Kubernetes requests of the run',
  ];
}
