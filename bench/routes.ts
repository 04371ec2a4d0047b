// Every route against its real limit: the same Kubernetes calls made raw, over one kept-alive TLS connection, with
// no route logic. For each route: median and p95 in-process (as Lambda calls the handler) and over HTTP (through
// serverless-offline), the raw calls' median, the route's own overhead (in-process minus raw), the number of calls
// the route made beside the raw sequence's, and the API server's CPU time per request, read from its process.

import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { createHandler as health } from '../functions/health/get.ts';
import { createHandler as deleteJob } from '../functions/pods/delete.ts';
import { createHandler as getJob } from '../functions/pods/get.ts';
import { createHandler as createJob } from '../functions/pods/post.ts';
import { createHandler as deleteClaim } from '../functions/volumes/pvcs/delete.ts';
import { createHandler as getClaim } from '../functions/volumes/pvcs/get.ts';
import { createHandler as createClaim } from '../functions/volumes/pvcs/post.ts';
import { createHandler as deleteVolume } from '../functions/volumes/pvs/delete.ts';
import { createHandler as getVolume } from '../functions/volumes/pvs/get.ts';
import { createHandler as createVolume } from '../functions/volumes/pvs/post.ts';
import type { Deps } from '../lib/app/deps.ts';
import { renderClaim } from '../lib/claims/render.ts';
import { renderPod } from '../lib/copies/render.ts';
import { loadKubeconfig } from '../lib/kube/kubeconfig.ts';
import type { RenderScope } from '../lib/tenants/scope.ts';
import type { Tenant } from '../lib/tenants/tenant.ts';
import { claimRefs, reservationRefs, type VolumeKey, volumeRefs } from '../lib/volumes/key.ts';
import { renderVolume } from '../lib/volumes/render.ts';
import { httpEvent, invokeHttp } from '../tools/lambda.ts';
import { cpuMs, round, type Summary, summarize, time } from './stats.ts';

export interface RoutesSetup {
  deps: Deps;
  moopkey: string;
  tenant: Tenant;
  namespace: string;
  serviceKubeconfig: string;
  apiUrl: string;
  /** The API server's process id, whose CPU time is read from /proc. */
  apiServerPid: number;
}

type Family = 'volume' | 'claim' | 'copy' | 'health';
type Op = 'create' | 'get' | 'delete';

export interface RouteFigures {
  route: string;
  inProcess: Summary;
  http: Summary;
  raw: Summary;
  /** In-process median minus raw median, ms. */
  overhead: number;
  /** Kubernetes calls per request, on average over the samples: the route's, and the raw sequence's. */
  routeCalls: number;
  rawCalls: number;
}

export interface RoutesResult {
  cycles: number;
  routes: RouteFigures[];
  /** API server CPU per cycle of a family's routes (create, get, delete), ms, idle CPU subtracted. */
  apiServerCpuPerCycle: Record<Family, number>;
}

/**
 * One kept-alive TLS connection to the API server with the service's own credentials (maxSockets of them for
 * concurrent calls): the raw calls.
 */
export function rawClient(kubeconfig: string, maxSockets = 1) {
  const access = loadKubeconfig({ file: kubeconfig });
  const agent = new Agent({ keepAlive: true, maxSockets, ca: access.ca, cert: access.cert, key: access.key });
  const token = access.token ?? (access.tokenFile ? readFileSync(access.tokenFile, 'utf8').trim() : undefined);
  let calls = 0;
  const call = <T = Record<string, any>>(method: string, path: string, body?: unknown): Promise<T> =>
    new Promise((resolve, reject) => {
      calls++;
      const data = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = {
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      };
      if (data)
        Object.assign(headers, {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(data)),
        });
      const req = request(`${access.server}${path}`, { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 300)
            reject(new Error(`raw ${method} ${path}: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
          else resolve((text.startsWith('{') ? JSON.parse(text) : text) as T);
        });
      });
      req.on('error', reject);
      req.end(data);
    });
  return { call, calls: () => calls, close: () => agent.destroy() };
}

const paths = {
  volume: '/service/v1/volumes/pvs',
  claim: '/service/v1/volumes/pvcs',
  copy: '/service/v1/pods',
  health: '/service/v1/health',
} as const;

/** The routes of a family as Lambda calls them, counting the Kubernetes calls each made. */
function routeCycle(setup: RoutesSetup, family: Family, counted: { calls: number }) {
  const d = setup.deps;
  const handlers = {
    volume: { create: createVolume(d), get: getVolume(d), delete: deleteVolume(d) },
    claim: { create: createClaim(d), get: getClaim(d), delete: deleteClaim(d) },
    copy: { create: createJob(d), get: getJob(d), delete: deleteJob(d) },
    health: { get: health(d) },
  }[family] as Partial<Record<Op, ReturnType<typeof health>>>;
  const path = paths[family];
  return async (user: string): Promise<Partial<Record<Op, { ms: number; calls: number }>>> => {
    const result: Partial<Record<Op, { ms: number; calls: number }>> = {};
    const q = { tenant: setup.tenant.id, username: user };
    let name = '';
    const step = async (op: Op, event: ReturnType<typeof httpEvent>, status: number): Promise<void> => {
      const before = counted.calls;
      const [ms, answer] = await time(() => invokeHttp(handlers[op]!, event));
      if (answer.status !== status)
        throw new Error(
          `benchmark ${family} ${op} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`,
        );
      if (op === 'create' && family === 'copy') name = (answer.body as { metadata: { name: string } }).metadata.name;
      result[op] = { ms, calls: counted.calls - before };
    };
    if (family === 'health') {
      await step('get', httpEvent('GET', path, setup.moopkey), 200);
      return result;
    }
    const body = createBody(setup, family, user);
    await step('create', httpEvent('POST', path, setup.moopkey, { body }), 201);
    const query = family === 'copy' ? { tenant: setup.tenant.id, name } : q;
    await step('get', httpEvent('GET', path, setup.moopkey, { query }), 200);
    await step('delete', httpEvent('DELETE', path, setup.moopkey, { query }), 200);
    return result;
  };
}

/** What a cycle's POST sends for family's route. */
function createBody(setup: RoutesSetup, family: Family, user: string): Record<string, string> {
  const q = { tenant: setup.tenant.id, username: user };
  if (family === 'volume') return { ...q, path: `${setup.namespace}/bench/${user}` };
  return family === 'copy' ? { tenant: setup.tenant.id, cmd: 'true' } : q;
}

/** The same routes over HTTP, through serverless-offline. */
function httpCycle(setup: RoutesSetup, family: Family) {
  const send = async (
    method: string,
    query: Record<string, string>,
    body?: unknown,
  ): Promise<{ status: number; body: any }> => {
    const url = new URL(setup.apiUrl + paths[family]);
    if (!body) for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const response = await fetch(url, {
      method,
      headers: { moopkey: setup.moopkey, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: await response.json() };
  };
  return async (user: string): Promise<Partial<Record<Op, number>>> => {
    if (family === 'health') return { get: (await time(() => send('GET', {})))[0] };
    const q = { tenant: setup.tenant.id, username: user };
    const body = createBody(setup, family, user);
    const [create, c] = await time(() => send('POST', {}, body));
    const query = family === 'copy' ? { tenant: setup.tenant.id, name: c.body.metadata?.name } : q;
    const [get, g] = await time(() => send('GET', query));
    const [del, x] = await time(() => send('DELETE', query));
    if (c.status !== 201 || g.status !== 200 || x.status !== 200)
      throw new Error(`benchmark HTTP ${family} cycle failed: ${c.status}/${g.status}/${x.status}`);
    return { create, get, delete: del };
  };
}

type Timings = Partial<Record<Op, { ms: number; calls: number }>>;

/**
 * What one raw cycle works with: the client, a step that times an operation and counts its calls, and the user's key.
 */
interface RawRun {
  raw: ReturnType<typeof rawClient>;
  step: (op: Op, work: () => Promise<unknown>) => Promise<void>;
  scope: RenderScope;
  ns: string;
  key: VolumeKey & { tenant: string };
}

/**
 * The Kubernetes calls each route needs, made raw: what no implementation of the route can do without (deletes with a
 * uid precondition only; the routes' resourceVersion precondition, and their re-read when it fails, are their own
 * care).
 */
function rawCycle(setup: RoutesSetup, family: Family, raw: ReturnType<typeof rawClient>) {
  const cycles = { volume: rawVolumeCycle, claim: rawClaimCycle, copy: rawCopyCycle, health: rawHealthCycle }[family];
  let scope: RenderScope | undefined;
  return async (user: string): Promise<Timings> => {
    scope ??= await setup.deps.scope(setup.tenant.id);
    const result: Timings = {};
    const step = async (op: Op, work: () => Promise<unknown>): Promise<void> => {
      const before = raw.calls();
      const [ms] = await time(work);
      result[op] = { ms, calls: raw.calls() - before };
    };
    await cycles({
      raw,
      step,
      scope,
      ns: setup.namespace,
      key: { tenant: setup.tenant.id, username: user, tag: 'default' },
    });
    return result;
  };
}

async function rawHealthCycle({ raw, step }: RawRun): Promise<void> {
  await step('get', () => raw.call('GET', '/readyz').catch(() => undefined));
}

type RawClient = ReturnType<typeof rawClient>;
type RawOps = Record<Op, () => Promise<unknown>>;

/** A volume's route calls, made raw. */
export function rawVolumeOps(
  raw: RawClient,
  scope: RenderScope,
  ns: string,
  key: VolumeKey & { tenant: string },
): RawOps {
  const claimName = reservationRefs(scope, key)[0]!.name;
  const pv = renderVolume(
    scope,
    { ...key, path: `${ns}/bench/${key.username}` },
    { name: volumeRefs(scope, key)[0]!.name, claimName },
  );
  const at = `/api/v1/persistentvolumes/${pv.metadata!.name}`;
  return {
    // A volume is never reserved for another owner's claim: one read of the claim it is reserved for first.
    create: async () => {
      await raw
        .call('GET', `/api/v1/namespaces/${ns}/persistentvolumeclaims/${claimName}?resourceVersion=0`)
        .catch(() => undefined);
      await raw.call('POST', '/api/v1/persistentvolumes', pv);
    },
    get: () => raw.call('GET', at),
    delete: async () => {
      const current = await raw.call('GET', at);
      await raw.call('DELETE', at, { preconditions: { uid: current.metadata.uid } });
    },
  };
}

async function rawVolumeCycle({ raw, step, scope, ns, key }: RawRun): Promise<void> {
  const ops = rawVolumeOps(raw, scope, ns, key);
  for (const op of ['create', 'get', 'delete'] as Op[]) await step(op, ops[op]);
}

/** A plain claim's route calls, made raw. */
export function rawClaimOps(
  raw: RawClient,
  scope: RenderScope,
  ns: string,
  key: VolumeKey & { tenant: string },
): RawOps {
  const pvc = renderClaim(scope, { ...key, match: false }, claimRefs(scope, key, false)[0]!.name);
  const at = `/api/v1/namespaces/${ns}/persistentvolumeclaims/${pvc.metadata!.name}`;
  const pvName = volumeRefs(scope, key)[0]!.name;
  return {
    // A plain claim is refused while the user's volume is reserved for it: one read of that volume first.
    create: async () => {
      await raw.call('GET', `/api/v1/persistentvolumes/${pvName}?resourceVersion=0`).catch(() => undefined);
      await raw.call('POST', `/api/v1/namespaces/${ns}/persistentvolumeclaims`, pvc);
    },
    // A Pending claim says why: a storage class that does not exist says it; otherwise its latest event is read.
    get: async () => {
      const [claim, storageClass] = await Promise.all([
        raw.call('GET', at),
        raw
          .call('GET', `/apis/storage.k8s.io/v1/storageclasses/${pvc.spec!.storageClassName}?resourceVersion=0`)
          .catch(() => undefined),
      ]);
      if (!storageClass) return;
      const selector = `involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${claim.metadata.name},involvedObject.uid=${claim.metadata.uid}`;
      await raw.call('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(selector)}`);
    },
    // Deleted unless pods mount it: the claim and the namespace's pods (from the watch cache) at once.
    delete: async () => {
      const [claim] = await Promise.all([
        raw.call('GET', at),
        raw.call('GET', `/api/v1/namespaces/${ns}/pods?limit=500&resourceVersion=0`),
      ]);
      await raw.call('DELETE', at, { preconditions: { uid: claim.metadata.uid } });
    },
  };
}

async function rawClaimCycle({ raw, step, scope, ns, key }: RawRun): Promise<void> {
  const ops = rawClaimOps(raw, scope, ns, key);
  for (const op of ['create', 'get', 'delete'] as Op[]) await step(op, ops[op]);
}

async function rawCopyCycle({ raw, step, scope, ns }: RawRun): Promise<void> {
  // The kind as the API server spells it (the tenant's template says "job"; the route asks discovery once).
  const job = { ...renderPod(scope, { cmd: 'true', vols: [] }), kind: 'Job' };
  const at = `/apis/batch/v1/namespaces/${ns}/jobs/${job.metadata!.name}`;
  await step('create', () => raw.call('POST', `/apis/batch/v1/namespaces/${ns}/jobs`, job));
  await step('get', () => rawReadCopy(raw, ns, at));
  await step('delete', async () => {
    const current = await raw.call('GET', at);
    await raw.call('DELETE', at, {
      propagationPolicy: 'Background',
      preconditions: { uid: current.metadata.uid },
    });
  });
}

/** A copy is read with why it is stuck: the Job, its pods, and, while it has none, its latest warning. */
async function rawReadCopy(raw: ReturnType<typeof rawClient>, ns: string, at: string): Promise<void> {
  const current = await raw.call('GET', at);
  const selector = `batch.kubernetes.io/controller-uid=${current.metadata.uid}`;
  // From the watch cache, as the route lists them (a consistent list waits for the cache to catch up with etcd).
  const pods = await raw.call(
    'GET',
    `/api/v1/namespaces/${ns}/pods?resourceVersion=0&labelSelector=${encodeURIComponent(selector)}`,
  );
  // A pod not yet running says why in its own warnings, as the route reads them.
  for (const pod of pods.items) {
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Running') continue;
    const about = `involvedObject.kind=Pod,involvedObject.name=${pod.metadata.name},involvedObject.uid=${pod.metadata.uid},type=Warning`;
    await raw.call(
      'GET',
      `/api/v1/namespaces/${ns}/events?resourceVersion=0&fieldSelector=${encodeURIComponent(about)}`,
    );
  }
  if (pods.items.length > 0) return;
  const events = `involvedObject.kind=Job,involvedObject.name=${current.metadata.name},involvedObject.uid=${current.metadata.uid},type=Warning`;
  await raw.call(
    'GET',
    `/api/v1/namespaces/${ns}/events?resourceVersion=0&fieldSelector=${encodeURIComponent(events)}`,
  );
}

const meanCalls = (calls: number[]): number => round(calls.reduce((a, b) => a + b, 0) / calls.length);

const routeNames: Record<Family, Partial<Record<Op, string>>> = {
  volume: { create: 'POST pvs', get: 'GET pvs', delete: 'DELETE pvs' },
  claim: { create: 'POST pvcs', get: 'GET pvcs', delete: 'DELETE pvcs' },
  copy: { create: 'POST pods', get: 'GET pods', delete: 'DELETE pods' },
  health: { get: 'GET health' },
};

/** Measures every route; `cycles` measured cycles of each family after `warmup` of warm-up. */
export async function routesAgainstRaw(
  setup: RoutesSetup,
  { cycles, warmup }: { cycles: number; warmup: number },
  log: (l: string) => void,
): Promise<RoutesResult> {
  const counted = { calls: 0 };
  const kube = await setup.deps.kube();
  const request = kube.request.bind(kube);
  kube.request = ((req: Parameters<typeof request>[0]) => {
    counted.calls++;
    return request(req);
  }) as typeof kube.request;
  const raw = rawClient(setup.serviceKubeconfig);
  const routes: RouteFigures[] = [];
  const apiServerCpuPerCycle = {} as Record<Family, number>;
  try {
    for (const family of ['volume', 'claim', 'copy', 'health'] as Family[]) {
      const inProc = routeCycle(setup, family, counted);
      const samples = await sampleCycles(
        family,
        { cycles, warmup },
        inProc,
        httpCycle(setup, family),
        rawCycle(setup, family, raw),
      );
      apiServerCpuPerCycle[family] = await apiServerCpu(setup.apiServerPid, cycles, (i) =>
        inProc(`bench-r-${family}-c${i}`),
      );
      routes.push(...figuresOf(family, samples));
      log(`[bench] routes: ${family} measured (${cycles} cycles each way)`);
    }
  } finally {
    kube.request = request;
    raw.close();
  }
  return { cycles, routes, apiServerCpuPerCycle };
}

interface Samples {
  inProcess: Timings[];
  http: Partial<Record<Op, number>>[];
  raw: Timings[];
}

/** `cycles` cycles of each way after `warmup` of warm-up, interleaved so that each way sees the same cluster. */
async function sampleCycles(
  family: Family,
  { cycles, warmup }: { cycles: number; warmup: number },
  inProc: (user: string) => Promise<Timings>,
  viaHttp: (user: string) => Promise<Partial<Record<Op, number>>>,
  rawCalls: (user: string) => Promise<Timings>,
): Promise<Samples> {
  const samples: Samples = { inProcess: [], http: [], raw: [] };
  for (let i = 0; i < cycles + warmup; i++) {
    const [a, b, c] = [
      await inProc(`bench-r-${family}-i${i}`),
      await viaHttp(`bench-r-${family}-h${i}`),
      await rawCalls(`bench-r-${family}-r${i}`),
    ];
    if (i >= warmup) {
      samples.inProcess.push(a);
      samples.http.push(b);
      samples.raw.push(c);
    }
  }
  return samples;
}

/** CPU of the API server per cycle over `cycles` cycles, less what it burns idle over the same time. */
async function apiServerCpu(pid: number, cycles: number, cycle: (i: number) => Promise<unknown>): Promise<number> {
  const cpuBefore = cpuMs(pid);
  const [busyMs] = await time(async () => {
    for (let i = 0; i < cycles; i++) await cycle(i);
  });
  const busyCpu = cpuMs(pid) - cpuBefore;
  const idleBefore = cpuMs(pid);
  await new Promise((r) => setTimeout(r, busyMs));
  const idleCpu = cpuMs(pid) - idleBefore;
  return round(Math.max(0, busyCpu - idleCpu) / cycles);
}

/** Each route of the family's figures from its samples. */
function figuresOf(family: Family, samples: Samples): RouteFigures[] {
  return (['create', 'get', 'delete'] as Op[])
    .filter((op) => routeNames[family][op])
    .map((op) => {
      const inProcess = summarize(samples.inProcess.map((s) => s[op]!.ms));
      const raw = summarize(samples.raw.map((s) => s[op]!.ms));
      return {
        route: routeNames[family][op]!,
        inProcess,
        http: summarize(samples.http.map((s) => s[op]!)),
        raw,
        overhead: round(inProcess.median - raw.median),
        routeCalls: meanCalls(samples.inProcess.map((s) => s[op]!.calls)),
        rawCalls: meanCalls(samples.raw.map((s) => s[op]!.calls)),
      };
    });
}

/** The table, with the goals beside the figures. */
export function printRoutes(r: RoutesResult): string[] {
  const pad = (cells: (string | number)[], widths: number[]): string =>
    cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  const w = [12, 16, 16, 16, 16, 10];
  const out = [
    '',
    `1. Routes against their raw calls, ${r.cycles} cycles (ms; raw = the same Kubernetes calls over one kept-alive TLS connection, no route logic)`,
    pad(['route', 'in-proc med/p95', 'HTTP med/p95', 'raw med/p95', 'overhead (goal)', 'calls route/raw'], w),
  ];
  for (const f of r.routes) {
    const ok = f.overhead <= 1 ? 'ok' : 'OVER';
    out.push(
      pad(
        [
          f.route,
          `${f.inProcess.median}/${f.inProcess.p95}`,
          `${f.http.median}/${f.http.p95}`,
          `${f.raw.median}/${f.raw.p95}`,
          `${f.overhead} (<=1 ${ok})`,
          `${f.routeCalls}/${f.rawCalls}`,
        ],
        w,
      ),
    );
  }
  const median = (name: string): number => r.routes.find((f) => f.route === name)!.inProcess.median;
  out.push('', 'Claim routes against volume routes (in-process median; goal: within 1.5x)');
  for (const op of ['POST', 'GET', 'DELETE']) {
    const ratio = round(median(`${op} pvcs`) / median(`${op} pvs`));
    out.push(
      `  ${op.padEnd(7)} ${median(`${op} pvcs`)} vs ${median(`${op} pvs`)}  = ${ratio}x ${ratio <= 1.5 ? 'ok' : 'OVER'}`,
    );
  }
  const cpu = r.apiServerCpuPerCycle;
  const cpuRatio = cpu.volume > 0 ? round(cpu.claim / cpu.volume) : Number.NaN;
  out.push(
    '',
    `API server CPU per cycle (create, get, delete; ms, idle subtracted): volume ${cpu.volume}, claim ${cpu.claim}, copy ${cpu.copy}, health ${cpu.health}`,
    `  claim / volume = ${cpuRatio}x (goal: <= 1.5x ${cpuRatio <= 1.5 ? 'ok' : 'OVER'})`,
  );
  return out;
}
