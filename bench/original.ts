// Side by side with the original: the Flask volume-service MOOP ran (tools/original-service/) and this service through
// serverless-offline as `npm start` serves it, on the same cluster, each asked for the same create/get/delete cycles
// of volumes and of plain claims, at concurrency 1 and 8, over HTTP from this process. Each route runs as a phase of
// its own (every cycle's create, then every get, then every delete, by `concurrency` workers), so that the API
// server's CPU time read from /proc around a phase is that route's; the route's raw calls (routes.ts: what no
// implementation of its rules can do without) run the same phases beside them. Goals: the service at least 1.5x the
// original's cycles per second at both concurrencies, serverless-offline at most 300 MB after the load, and the API
// server's CPU per route no higher for the service than for the original.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deps } from '../lib/app/deps.ts';
import type { RenderScope } from '../lib/tenants/scope.ts';
import { originalAccount, startOriginal } from '../tools/original-service/original.ts';
import { startFakeTenantService } from '../tools/tenant-service.ts';
import type { BenchContext } from './context.ts';
import { rawClaimOps, rawClient, rawVolumeOps } from './routes.ts';
import {
  cpuMs,
  rssMiB as processRssMiB,
  round,
  type Summary,
  summarize,
  time,
  treeCpuMs,
  treeRssMiB,
} from './stats.ts';

type Family = 'volume' | 'claim';
type System = 'service' | 'original' | 'raw';
type Op = 'create' | 'get' | 'delete';
const ops: Op[] = ['create', 'get', 'delete'];
const families: Family[] = ['volume', 'claim'];
export const concurrencies = [1, 8] as const;

export interface RouteRun extends Summary {
  /** The API server's CPU time per request of the route, ms, its idle rate subtracted. */
  apiCpuMs: number;
}

export interface FamilyRun {
  cyclesPerSecond: number;
  routes: Record<Op, RouteRun>;
  /** CPU time of the serving process (and its children) per cycle, ms; none for raw calls. */
  processCpuMsPerCycle?: number;
}

export interface SideBySideResult {
  cycles: number;
  /** By concurrency, family and system. */
  runs: Record<string, Record<Family, Record<System, FamilyRun>>>;
  /**
   * Resident memory of each service's process tree, MiB, before and after the load; for serverless-offline also its
   * Node process alone (the rest is esbuild's service process, which serverless-esbuild keeps after building).
   */
  rssMiB: {
    service: { before: number; after: number; nodeAfter: number };
    original: { before: number; after: number };
  };
}

/** One request of a route to a system, which throws unless the system answered as it does on success. */
type Send = (op: Op, user: string) => Promise<void>;

/** Requests to one of the two services over HTTP. */
function httpSender(system: 'service' | 'original', base: string, family: Family, ctx: BenchContext): Send {
  const path = `${base}/service/v1/volumes/${family === 'volume' ? 'pvs' : 'pvcs'}`;
  const tenant = ctx.tenant.id;
  const expected =
    system === 'service' ? { create: 201, get: 200, delete: 200 } : { create: 200, get: 200, delete: 200 };
  return async (op, user) => {
    const query = new URLSearchParams({ tenant, username: user });
    const body =
      family === 'volume'
        ? { tenant, username: user, path: `${ctx.tenant.namespace}/bench/${user}` }
        : { tenant, username: user };
    const response =
      op === 'create'
        ? await fetch(path, {
            method: 'POST',
            headers: { moopkey: ctx.env.MOOPKEY!, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
        : await fetch(`${path}?${query}`, {
            method: op === 'get' ? 'GET' : 'DELETE',
            headers: { moopkey: ctx.env.MOOPKEY! },
          });
    const text = await response.text();
    // The original answers 200 to its own refusals too, with {"error": ...}.
    if (response.status !== expected[op] || text.startsWith('{"error"') || /^\{\s*"error"/.test(text))
      throw new Error(
        `side by side: ${system} ${op} of ${family} ${user} answered ${response.status}: ${text.slice(0, 300)}`,
      );
  };
}

/** The route's raw calls, one kept-alive connection per worker. */
function rawSender(raw: ReturnType<typeof rawClient>, scope: RenderScope, ctx: BenchContext, family: Family): Send {
  return async (op, user) => {
    const key = { tenant: ctx.tenant.id, username: user, tag: 'default' };
    const calls =
      family === 'volume'
        ? rawVolumeOps(raw, scope, ctx.tenant.namespace!, key)
        : rawClaimOps(raw, scope, ctx.tenant.namespace!, key);
    await calls[op]();
  };
}

/** Runs op for users 0..n-1, `concurrency` at a time; each request's time, and the phase's. */
async function phase(
  n: number,
  concurrency: number,
  request: (i: number) => Promise<void>,
): Promise<{ wallMs: number; samples: number[] }> {
  const samples: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) samples.push((await time(() => request(i)))[0]);
  };
  const [wallMs] = await time(() => Promise.all(Array.from({ length: concurrency }, worker)));
  return { wallMs, samples };
}

/** What the API server burns idle, ms of CPU per ms, over a short wait. */
async function idleRate(apiServerPid: number, ms: number): Promise<number> {
  const before = cpuMs(apiServerPid);
  const [waited] = await time(() => sleep(ms));
  return (cpuMs(apiServerPid) - before) / waited;
}

interface Target {
  send: Send;
  /** The serving process, whose tree's CPU time is counted; none for raw calls. */
  pid?: number;
}

/**
 * n cycles of a family against every system, phase by phase: each route's phase runs for each system in turn before
 * the next route's, so that whatever the cluster does in the background falls alike on all of them.
 */
async function familyRuns(
  targets: Record<System, Target>,
  order: System[],
  n: number,
  concurrency: number,
  users: (system: System, i: number) => string,
  api: { pid: number; idle: number },
): Promise<Record<System, FamilyRun>> {
  const routes = Object.fromEntries(order.map((s) => [s, {}])) as Record<System, Record<Op, RouteRun>>;
  const wall = Object.fromEntries(order.map((s) => [s, 0])) as Record<System, number>;
  const processCpu = Object.fromEntries(order.map((s) => [s, 0])) as Record<System, number>;
  for (const op of ops) {
    for (const system of order) {
      const target = targets[system];
      const [apiBefore, processBefore] = [cpuMs(api.pid), target.pid ? treeCpuMs(target.pid) : 0];
      const { wallMs, samples } = await phase(n, concurrency, (i) => target.send(op, users(system, i)));
      const busy = cpuMs(api.pid) - apiBefore;
      if (target.pid) processCpu[system] += treeCpuMs(target.pid) - processBefore;
      wall[system] += wallMs;
      routes[system][op] = { ...summarize(samples), apiCpuMs: round(Math.max(0, busy - api.idle * wallMs) / n) };
    }
  }
  return Object.fromEntries(
    order.map((system) => [
      system,
      {
        cyclesPerSecond: round((n * 1000) / wall[system]),
        routes: routes[system],
        ...(targets[system].pid ? { processCpuMsPerCycle: round(processCpu[system] / n) } : {}),
      },
    ]),
  ) as Record<System, FamilyRun>;
}

/**
 * Waits (a minute at most) until the API server idles, below 5 % of a core over a second: what earlier sections
 * left it to do (garbage collection of their Jobs' pods, controllers catching up) would otherwise be counted here.
 */
async function quiet(apiServerPid: number, log: (l: string) => void): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rate = await idleRate(apiServerPid, 1000);
    if (rate < 0.05) return;
    if (Date.now() > deadline)
      return log(`[bench] side by side: the API server is still busy (${Math.round(rate * 100)} % of a core)`);
  }
}

/** Starts the original beside the running service and measures both, and the raw calls. */
export async function sideBySide(
  ctx: BenchContext,
  deps: Deps,
  cycles: number,
  log: (l: string) => void,
): Promise<SideBySideResult> {
  const standIn = ctx.tenantServiceUrl ? undefined : await startFakeTenantService([ctx.tenant], { mode: 'direct' });
  const tenantsUrl = ctx.tenantServiceUrl ?? standIn!.url;
  const account = await originalAccount(ctx.adminKubeconfig, ctx.serviceKubeconfig, ctx.tenant.namespace!);
  try {
    const original = await startOriginal({
      kubeconfig: account.kubeconfig,
      // The original appends /tenants/<id> to its setting.
      tenantServiceUrl: tenantsUrl.replace(/\/tenants\/?$/, ''),
      nfsServer: ctx.env.NFS_SERVER!,
      nfsPrefix: ctx.env.NFS_PREFIX!,
      moopkey: ctx.env.MOOPKEY!,
    });
    try {
      return await measure(ctx, await deps.scope(ctx.tenant.id), original, cycles, log);
    } finally {
      await original.stop();
    }
  } finally {
    await account.remove();
    await standIn?.close();
  }
}

async function measure(
  ctx: BenchContext,
  scope: RenderScope,
  original: { url: string; pid: number },
  cycles: number,
  log: (l: string) => void,
): Promise<SideBySideResult> {
  const raw = rawClient(ctx.serviceKubeconfig, Math.max(...concurrencies));
  const run = Date.now().toString(36).slice(-5);
  const rssMiB = {
    service: { before: treeRssMiB(ctx.offline.pid), after: 0, nodeAfter: 0 },
    original: { before: treeRssMiB(original.pid), after: 0 },
  };
  const runs: SideBySideResult['runs'] = {};
  try {
    for (const concurrency of concurrencies) {
      runs[concurrency] = {} as Record<Family, Record<System, FamilyRun>>;
      // The two services take turns at going first in each route's phases.
      const order: System[] = concurrency === 1 ? ['service', 'original', 'raw'] : ['original', 'service', 'raw'];
      for (const family of families) {
        const targets: Record<System, Target> = {
          service: { send: httpSender('service', ctx.offline.url, family, ctx), pid: ctx.offline.pid },
          original: { send: httpSender('original', original.url, family, ctx), pid: original.pid },
          raw: { send: rawSender(raw, scope, ctx, family) },
        };
        const users = (system: System, i: number) => `sbs-${run}-${system.slice(0, 3)}-${family[0]}${concurrency}-${i}`;
        // A few cycles first, unmeasured: connections, first imports, caches.
        const warm = (system: System, i: number) => `${users(system, i)}-w`;
        await quiet(ctx.apiServerPid, log);
        const api = { pid: ctx.apiServerPid, idle: await idleRate(ctx.apiServerPid, cycles > 20 ? 2000 : 300) };
        await familyRuns(targets, order, Math.min(5, cycles), concurrency, warm, api);
        runs[concurrency][family] = await familyRuns(targets, order, cycles, concurrency, users, api);
        log(`[bench] side by side: ${family} cycles at concurrency ${concurrency} measured`);
      }
    }
  } finally {
    raw.close();
  }
  rssMiB.service.after = treeRssMiB(ctx.offline.pid);
  rssMiB.service.nodeAfter = processRssMiB(ctx.offline.pid);
  rssMiB.original.after = treeRssMiB(original.pid);
  return { cycles, runs, rssMiB };
}

/** The printed table, with the goals beside the figures. */
export function printSideBySide(r: SideBySideResult): string[] {
  const pad = (cells: (string | number)[], widths: number[]): string =>
    cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  const out = [
    '',
    `7. Side by side with the original Flask volume-service, ${r.cycles} cycles of each family per run, over HTTP (serverless-offline as npm start runs it; the original in Flask's threaded server)`,
  ];
  const w = [14, 22, 22, 10, 26];
  for (const concurrency of Object.keys(r.runs)) {
    out.push('', `concurrency ${concurrency}`);
    out.push(pad(['', 'service', 'original', 'ratio', 'goal'], w));
    for (const family of families) {
      const f = r.runs[concurrency]![family];
      const ratio = round(f.service.cyclesPerSecond / f.original.cyclesPerSecond);
      out.push(
        pad(
          [
            `${family} cycles/s`,
            f.service.cyclesPerSecond,
            f.original.cyclesPerSecond,
            `${ratio}x`,
            `>= 1.5x ${ratio >= 1.5 ? 'ok' : 'MISSED'}`,
          ],
          w,
        ),
      );
      out.push(
        pad(
          [
            `  CPU/cycle ms`,
            f.service.processCpuMsPerCycle ?? '-',
            f.original.processCpuMsPerCycle ?? '-',
            '',
            '(serving process)',
          ],
          w,
        ),
      );
    }
    out.push(
      pad(
        ['route', 'median/p95 ms svc', 'median/p95 ms orig', '', 'API CPU ms svc/orig/raw (goal)'],
        [14, 22, 22, 10, 34],
      ),
    );
    for (const family of families) {
      const f = r.runs[concurrency]![family];
      for (const op of ops) {
        const [s, o, raw] = [f.service.routes[op], f.original.routes[op], f.raw.routes[op]];
        const name = `${{ create: 'POST', get: 'GET', delete: 'DELETE' }[op]} ${family === 'volume' ? 'pvs' : 'pvcs'}`;
        out.push(
          pad(
            [
              name,
              `${s.median}/${s.p95}`,
              `${o.median}/${o.p95}`,
              '',
              `${s.apiCpuMs}/${o.apiCpuMs}/${raw.apiCpuMs} (<= orig ${s.apiCpuMs <= o.apiCpuMs ? 'ok' : 'MISSED'})`,
            ],
            [14, 22, 22, 10, 34],
          ),
        );
      }
    }
  }
  const rss = r.rssMiB;
  out.push(
    '',
    `Memory after the load: serverless-offline ${rss.service.after} MiB (its Node process ${rss.service.nodeAfter}, esbuild's service the rest; before the load ${rss.service.before}; goal <= 300 MB ${rss.service.after * 1.048576 <= 300 ? 'ok' : 'MISSED'}), original ${rss.original.after} MiB (before ${rss.original.before})`,
  );
  return out;
}
