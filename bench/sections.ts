// The benchmark's sections, run against a cluster and a serverless-offline that are already up: `npm run bench`
// (bench/run.ts) starts its own; the suite's quick run (test/integration/bench.test.ts) uses the suite's.

export type { BenchContext } from './context.ts';

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stop as stopEsbuild } from 'esbuild';
import { depsFrom } from '../lib/app/deps.ts';
import { loadConfig } from '../lib/config/config.ts';
import { buildBundles } from './bundles.ts';
import { type ClaimRoutesResult, claimRoutes, printClaimRoutes } from './claim-routes.ts';
import { type CleanupScaleResult, cleanupAtScale, printCleanup } from './cleanup-scale.ts';
import { type ColdStartResult, coldStarts } from './cold-start.ts';
import type { BenchContext } from './context.ts';
import { type InventoryResult, type InventoryShape, inventoryAtScale, printInventory } from './inventory.ts';
import { type NoticesResult, noticesAtScale, printNotices } from './notices.ts';
import { type OperationsResult, operationsAtScale, printOperations } from './operations.ts';
import { printSideBySide, type SideBySideResult, sideBySide } from './original.ts';
import { printRoster, type RosterResult, rosterSection } from './roster.ts';
import { printRoutes, type RoutesResult, routesAgainstRaw } from './routes.ts';
import { printSnapshots, type SnapshotsResult, type SnapshotsShape, snapshotsAtScale } from './snapshots.ts';
import { type TenantLookupResult, tenantLookups } from './tenant-lookups.ts';

/** In the order they run: the side-by-side run first, on a quiet cluster, before the thousands of objects of the others. */
export const sections = [
  'original',
  'routes',
  'claims',
  'lookups',
  'roster',
  'cold',
  'cleanup',
  'inventory',
  'notices',
  'operations',
  'snapshots',
] as const;
export type Section = (typeof sections)[number];

/** How much each section does: the full run's figures, or a handful of each for the suite's quick run. */
export interface Scale {
  name: 'full' | 'quick';
  /** Measured cycles of every route (routes, claims), and warm-up cycles before them. */
  cycles: number;
  warmup: number;
  /** Events in the namespace for the claims' second pass. */
  events: number;
  /** Concurrent requests for one tenant. */
  lookups: number;
  cleanup: { tenants: number; volumesPerTenant: number; jobsPerTenant: number };
  /** Cycles of volumes and of claims for each service, at each concurrency, side by side with the original. */
  sideBySide: number;
  /** Class sizes of the roster section, each provisioned three ways. */
  roster: number[];
  /** The inventory section's namespace: users (a volume and a claim each), foreign pods; its page size, repetitions. */
  inventory: InventoryShape;
  /** Finished copies asked to be told, for one notifier run. */
  notices: number;
  /** Students of the class distributed to, collected from, and read back (each with their own claim). */
  operations: number;
  /** One student's index entries and two others', listed a page at a time (the walk's page a multiple of the page). */
  snapshots: SnapshotsShape;
}

export const fullScale: Scale = {
  name: 'full',
  cycles: 200,
  warmup: 10,
  events: 5000,
  lookups: 100,
  cleanup: { tenants: 100, volumesPerTenant: 95, jobsPerTenant: 5 },
  sideBySide: 150,
  roster: [200, 500],
  inventory: { users: 5000, foreignPods: 1000, pageSize: 500, repetitions: 20 },
  notices: 1000,
  operations: 300,
  snapshots: { entries: 10_000, others: 1000, pageSize: 100, walkPageSize: 500 },
};

export const quickScale: Scale = {
  name: 'quick',
  cycles: 3,
  warmup: 1,
  events: 50,
  lookups: 10,
  cleanup: { tenants: 2, volumesPerTenant: 4, jobsPerTenant: 1 },
  sideBySide: 8,
  roster: [10],
  inventory: { users: 50, foreignPods: 10, pageSize: 10, repetitions: 3 },
  notices: 20,
  operations: 30,
  snapshots: { entries: 300, others: 100, pageSize: 100, walkPageSize: 100 },
};

export interface BenchResults {
  date: string;
  node: string;
  scale: Scale['name'];
  routes?: RoutesResult;
  claims?: ClaimRoutesResult;
  lookups?: TenantLookupResult;
  cold?: ColdStartResult;
  cleanup?: CleanupScaleResult;
  original?: SideBySideResult;
  roster?: RosterResult;
  inventory?: InventoryResult;
  notices?: NoticesResult;
  operations?: OperationsResult;
  snapshots?: SnapshotsResult;
  /** Seconds each section took. */
  seconds: Partial<Record<Section, number>>;
}

/** Runs the sections asked for, in order, and writes their figures to outDir/results.json. */
export async function runSections(
  ctx: BenchContext,
  options: { sections: readonly Section[]; scale: Scale; outDir: string; log: (line: string) => void },
): Promise<BenchResults> {
  const { scale, log } = options;
  const runs = (s: Section): boolean => options.sections.includes(s);
  const results: BenchResults = {
    date: new Date().toISOString(),
    node: process.version,
    scale: scale.name,
    seconds: {},
  };
  const deps = depsFrom(() => loadConfig(ctx.env));
  mkdirSync(options.outDir, { recursive: true });
  const moopkey = ctx.env.MOOPKEY!;
  const namespace = ctx.tenant.namespace!;
  const timed = async <T>(section: Section, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const value = await work();
    results.seconds[section] = Math.round((performance.now() - started) / 100) / 10;
    return value;
  };
  if (runs('original')) {
    log(
      `[bench] side by side with the original volume-service: ${scale.sideBySide} cycles of volumes and of claims each`,
    );
    results.original = await timed('original', () => sideBySide(ctx, deps, scale.sideBySide, log));
  }
  if (runs('routes')) {
    log(`[bench] routes: ${scale.cycles} cycles of every route, in-process, over HTTP and as raw calls`);
    results.routes = await timed('routes', () =>
      routesAgainstRaw(
        {
          deps,
          moopkey,
          tenant: ctx.tenant,
          namespace,
          serviceKubeconfig: ctx.serviceKubeconfig,
          apiUrl: ctx.offline.url,
          apiServerPid: ctx.apiServerPid,
        },
        { cycles: scale.cycles, warmup: scale.warmup },
        log,
      ),
    );
  }
  if (runs('claims')) {
    log(
      `[bench] claim routes: ${scale.cycles} cycles each of volumes and claims, then claims over ${scale.events} events`,
    );
    results.claims = await timed('claims', () =>
      claimRoutes(
        { deps, moopkey, tenant: ctx.tenant.id, namespace, adminKubeconfig: ctx.adminKubeconfig },
        { cycles: scale.cycles, warmup: scale.warmup, events: scale.events },
        log,
      ),
    );
  }
  if (runs('lookups')) {
    log(`[bench] tenant lookups: ${scale.lookups} concurrent requests for one tenant`);
    results.lookups = await timed('lookups', () => tenantLookups(ctx.tenant, ctx.env, moopkey, scale.lookups));
  }
  if (runs('roster')) {
    log(`[bench] roster: classes of ${scale.roster.join(' and ')} students, one roster call, single routes, raw calls`);
    results.roster = await timed('roster', () =>
      rosterSection({ ctx, deps, outDir: options.outDir, log }, scale.roster),
    );
  }
  if (runs('cold') || runs('cleanup')) {
    log('[bench] bundles');
    const bundles = await buildBundles(join(options.outDir, 'bundles'));
    // esbuild's service process keeps its memory (150 MB and more) for as long as this one lives: not needed again.
    await stopEsbuild();
    if (runs('cold')) {
      log('[bench] cold starts');
      results.cold = await timed('cold', () =>
        coldStarts(bundles, ctx.env, moopkey, ctx.tenant.id, namespace, ctx.serviceKubeconfig),
      );
    }
    if (runs('cleanup')) {
      const c = scale.cleanup;
      log(
        `[bench] cleanup at scale: ${c.tenants * (c.volumesPerTenant + c.jobsPerTenant)} managed objects of ${c.tenants} tenants`,
      );
      results.cleanup = await timed('cleanup', () =>
        cleanupAtScale(
          bundles,
          ctx.env,
          { adminKubeconfig: ctx.adminKubeconfig, tenant: ctx.tenant, outDir: options.outDir },
          c,
          log,
        ),
      );
    }
  }
  if (runs('inventory')) {
    const i = scale.inventory;
    log(`[bench] inventory: ${i.users} volumes and claims, ${i.foreignPods} foreign pods, pages of ${i.pageSize}`);
    results.inventory = await timed('inventory', () => inventoryAtScale(ctx, options.outDir, i, log));
  }
  if (runs('notices')) {
    log(`[bench] notices: ${scale.notices} finished copies asked to be told, then the notifier, twice`);
    results.notices = await timed('notices', () => noticesAtScale(ctx, options.outDir, scale.notices, log));
  }
  if (runs('operations')) {
    log(
      `[bench] operations: a class of ${scale.operations} students, distributed to, in a shared claim, collected, read`,
    );
    results.operations = await timed('operations', () => operationsAtScale(ctx, options.outDir, scale.operations, log));
  }
  if (runs('snapshots')) {
    const s = scale.snapshots;
    log(
      `[bench] snapshots: ${s.entries} index entries of one student and ${s.others} of two others, listed in pages of ${s.pageSize} and ${s.walkPageSize}`,
    );
    results.snapshots = await timed('snapshots', () => snapshotsAtScale(ctx, options.outDir, s, log));
  }
  writeFileSync(join(options.outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  return results;
}

type Line = (cells: (string | number)[], widths: number[]) => string;

/** The figures as a table, each beside its goal. */
export function printResults(r: BenchResults): string {
  const line: Line = (cells, widths) => cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  const out: string[] = [];
  if (r.routes) out.push(...printRoutes(r.routes));
  if (r.claims) out.push(...printClaimRoutes(r.claims));
  if (r.lookups)
    out.push(
      '',
      `3. Tenant lookups: ${r.lookups.requests} concurrent requests for one tenant -> ${r.lookups.tenantServiceCalls} call(s) to the tenant service in ${r.lookups.wallMs} ms (goal: 1 ${r.lookups.tenantServiceCalls === 1 ? 'ok' : 'MISSED'})`,
    );
  if (r.cold) out.push(...printCold(r.cold, line));
  if (r.cleanup) out.push(...printCleanup(r.cleanup));
  if (r.original) out.push(...printSideBySide(r.original));
  if (r.roster) out.push(...printRoster(r.roster));
  if (r.inventory) out.push(...printInventory(r.inventory));
  if (r.notices) out.push(...printNotices(r.notices));
  if (r.operations) out.push(...printOperations(r.operations));
  if (r.snapshots) out.push(...printSnapshots(r.snapshots));
  const took = Object.entries(r.seconds).map(([s, t]) => `${s} ${t} s`);
  out.push('', `Sections took: ${took.join(', ')}`, '');
  return out.join('\n');
}

function printCold(cold: ColdStartResult, line: Line): string[] {
  const out: string[] = [];
  out.push(
    '',
    `4. Cold start (fresh Node process to first answer; Node alone ${cold.nodeStartupMs} ms, API server first call ${cold.apiFirstCallMs} ms)`,
  );
  const w4 = [18, 12, 16, 8, 10];
  out.push(line(['function', 'bundle KiB', 'first answer ms', 'status', 'goal met'], w4));
  for (const f of cold.functions) {
    out.push(
      line(
        [
          f.name,
          f.bundleKiB,
          f.firstAnswerMs,
          f.status,
          f.bundleKiB <= 1536 && f.firstAnswerMs <= 250 + cold.apiFirstCallMs ? 'yes' : 'NO',
        ],
        w4,
      ),
    );
  }
  out.push(
    `   goals: bundle <= 1536 KiB; first answer <= 250 ms + API server round trip (${250 + cold.apiFirstCallMs} ms)`,
  );
  return out;
}
