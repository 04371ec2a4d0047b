// A student's snapshots at scale: in moop-records, 10,000 index entries of one student of a tenant of the section's own
// (written by the index's own keep(), 32 at a time, as the service writes one per complete archive; their takenAt
// spread over a year), and 1,000 of each of two other students of the tenant, so that the list's label selector has
// others to leave out. Then GET /service/v1/snapshots, each call's handler in a fresh process as Lambda runs it: the
// first page (limit 100), a middle page and the last page (each through a continue the route answered), and a walk of
// every page of 500 in one process, as a warm function answers a caller paging through them all. For each: the
// handler's time, its Kubernetes calls by verb and resource (discovery included), what the pages hold, and the
// process's memory loaded and at its peak. A walk that does not answer each of the student's snapshots once, newest
// first, and none of another's, fails the run. The entries (by the tenant's label) and the namespace are removed, and
// seen gone.

import { randomBytes, randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { depsFrom } from '../lib/app/deps.ts';
import { loadConfig } from '../lib/config/config.ts';
import { KubeClient } from '../lib/kube/client.ts';
import { loadKubeconfig } from '../lib/kube/kubeconfig.ts';
import { managedSelector, recordsNamespace, tenantLabel } from '../lib/ownership/ownership.ts';
import { type Kept, keep, snapshotOfLabel } from '../lib/snapshots/index.ts';
import { studentFolder } from '../lib/snapshots/store.ts';
import type { Tenant } from '../lib/tenants/tenant.ts';
import { prepareTenants } from '../tools/tenants.ts';
import type { BenchContext } from './context.ts';
import { describeCalls } from './kube-calls.ts';
import { sectionTenant } from './section-tenant.ts';
import { lastLine, runNode } from './stats.ts';

/** How many entries, and the page sizes. */
export interface SnapshotsShape {
  /** Index entries of the student whose snapshots are listed. */
  entries: number;
  /** Index entries of each of two other students of the tenant. */
  others: number;
  /** The limit of the first, middle and last page. */
  pageSize: number;
  /** The limit of the walk through every page. */
  walkPageSize: number;
}

/** One child process's pages: one, or a walk through several. */
export interface SnapshotPages {
  status: number;
  /** The process from its start to its exit; the handler's calls, their sum and the slowest. */
  wallMs: number;
  handlerMs: number;
  slowestMs: number;
  pages: number;
  /** Kubernetes requests by "verb resource" (discovery included), and their sum. */
  calls: Record<string, number>;
  apiCalls: number;
  /** The largest answer. */
  answerKiB: number;
  items: number;
  /** Distinct ids among the items; whether newest first throughout, and all the student's own (Succeeded). */
  distinct: number;
  ordered: boolean;
  ownOnly: boolean;
  /** Whether the last page answered a continue. */
  continued: boolean;
  rssBeforeMiB: number;
  peakRssMiB: number;
}

export interface SnapshotsResult extends SnapshotsShape {
  /** Writing every entry (the student's and the others'), and the rate. */
  writeSeconds: number;
  writesPerSecond: number;
  first: SnapshotPages;
  /** The middle and last page, and the student's snapshots before each. */
  middle: SnapshotPages & { after: number };
  last: SnapshotPages & { after: number };
  walk: SnapshotPages;
}

/**
 * The goals: a page within 1 s and 3 Kubernetes calls (discovery, the index, the student's copies) at 10,000 snapshots;
 * a walk of every page within 1 s a page and 2 calls a page (one discovery); the functions' 512 MB.
 */
export const snapshotGoals = { pageMs: 1000, pageCalls: 3, rssMiB: 512 } as const;

const students = { listed: 'bench-snap-student', others: ['bench-snap-other-1', 'bench-snap-other-2'] } as const;
const tag = 'default';

/** Writes the entries, reads them back a page at a time, and removes everything. */
export async function snapshotsAtScale(
  ctx: BenchContext,
  outDir: string,
  shape: SnapshotsShape,
  log: (l: string) => void,
): Promise<SnapshotsResult> {
  const tenant = sectionTenant(ctx.tenant, {
    id: 'be4e00000000000000000000',
    name: 'Bench snapshots school',
    namespace: 'bench-snapshots',
  });
  const tenantsFile = join(outDir, 'snapshots-tenants.json');
  writeFileSync(tenantsFile, JSON.stringify({ tenants: [ctx.tenant, tenant] }));
  const deps = depsFrom(() => loadConfig({ ...ctx.env, TENANTS_FILE: tenantsFile }));
  const admin = new KubeClient(loadKubeconfig({ file: ctx.adminKubeconfig }), { timeoutMs: 60_000 });
  const n = shape.entries;
  try {
    await prepareTenants(ctx.adminKubeconfig, [tenant], () => undefined);
    const writing = performance.now();
    const written = await writeEntries(deps, tenant, shape, log);
    const writeSeconds = Math.round((performance.now() - writing) / 100) / 10;
    const writesPerSecond = Math.round(written / writeSeconds);
    log(`[bench] snapshots: ${written} index entries written in ${writeSeconds} s; reading them back`);
    await untilCached(admin, n);
    const child = childOf(ctx, tenantsFile, outDir);
    const query = (limit: number) => ({ tenant: tenant.id, username: students.listed, tag, limit: String(limit) });
    const walk = await child('walk', { query: query(shape.walkPageSize) });
    check('the walk', walk, { items: n, continued: false });
    if (walk.distinct !== n || walk.pages !== Math.ceil(n / shape.walkPageSize))
      throw new Error(`snapshots: the walk answered ${walk.distinct} distinct of ${n}: ${JSON.stringify(walk)}`);
    const size = shape.pageSize;
    const first = await child('first', { query: query(size), pages: 1 });
    check('the first page', first, { items: Math.min(size, n), continued: n > size });
    // The middle page starts after the walk's middle page, the last after its last but one and then pages of the
    // page size: through continues the route answered, not made up.
    const middleAt = Math.max(1, Math.floor(walk.pages / 2));
    const middleToken = walk.tokens[middleAt - 1] ?? first.tokens[0];
    const middleAfter = walk.tokens[middleAt - 1] ? middleAt * shape.walkPageSize : middleToken ? size : 0;
    const middle = await child('middle', { query: query(size), continue: middleToken, pages: 1 });
    check('the middle page', middle, { items: Math.min(size, n - middleAfter), continued: n - middleAfter > size });
    const hop = await child('hop', { query: query(size), continue: walk.tokens.at(-1) });
    const lastToken = hop.tokens.at(-1) ?? walk.tokens.at(-1);
    const lastAfter = n - (n % size || size);
    const last = await child('last', { query: query(size), continue: lastToken, pages: 1 });
    check('the last page', last, { items: n - lastAfter, continued: false });
    return {
      ...shape,
      writeSeconds,
      writesPerSecond,
      first,
      middle: { ...middle, after: middleAfter },
      last: { ...last, after: lastAfter },
      walk,
    };
  } finally {
    await deps
      .kube()
      .then((k) => k.close())
      .catch(() => undefined);
    await removeAll(admin, tenant, log);
    await admin.close();
  }
}

const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
/** An id as the service answers one: snap- and 20 of [0-9a-z]. */
const snapshotId = (): string => `snap-${Array.from(randomBytes(20), (b) => alphabet[b % alphabet.length]).join('')}`;

const year = 365 * 24 * 3600 * 1000;

/** A kept snapshot of username: taken at some second of the past year (a few at the same second), a few with a note. */
function keptOf(username: string, now: number): Kept {
  const takenAt = now - randomInt(year / 1000) * 1000;
  return {
    id: snapshotId(),
    username,
    tag,
    ...(randomInt(4) === 0 ? { note: 'before the final' } : {}),
    requestedAt: new Date(takenAt - randomInt(1, 600) * 1000).toISOString(),
    takenAt: new Date(takenAt).toISOString(),
    bytes: randomInt(1024, 2 ** 30),
    files: randomInt(1, 20_000),
  };
}

/** Every student's entries, by the index's own keep() with the service's access, 32 at a time. */
async function writeEntries(
  deps: ReturnType<typeof depsFrom>,
  tenant: Tenant,
  shape: SnapshotsShape,
  log: (l: string) => void,
): Promise<number> {
  const { resources } = await deps.scope(tenant.id);
  const limit = pLimit(32);
  const now = Date.now();
  const owners = [
    ...Array.from({ length: shape.entries }, () => students.listed),
    ...students.others.flatMap((u) => Array.from({ length: shape.others }, () => u)),
  ];
  let done = 0;
  await Promise.all(
    owners.map((username) =>
      limit(async () => {
        await keep(resources, tenant.id, keptOf(username, now));
        if (++done % 2000 === 0) log(`[bench] snapshots: ${done}/${owners.length} index entries written`);
      }),
    ),
  );
  return owners.length;
}

const listedSelector = `${managedSelector},${snapshotOfLabel}=${studentFolder({ username: students.listed, tag })}`;
const configMaps = `/api/v1/namespaces/${recordsNamespace}/configmaps`;

/** Waits until the watch cache the route reads holds every entry of the listed student. */
async function untilCached(admin: KubeClient, n: number): Promise<void> {
  for (let giveUpAt = Date.now() + 60_000; ; ) {
    const list = await admin.request<{ items: unknown[] }>({
      method: 'GET',
      path: configMaps,
      query: { labelSelector: listedSelector, resourceVersion: '0' },
    });
    if (list.items.length >= n) return;
    if (Date.now() > giveUpAt) throw new Error(`snapshots: the watch cache holds ${list.items.length} of ${n} entries`);
    await sleep(500);
  }
}

type Child = (
  what: 'walk' | 'first' | 'middle' | 'hop' | 'last',
  input: { query: Record<string, string>; continue?: string; pages?: number },
) => Promise<SnapshotPages & { tokens: string[] }>;

/** Pages of GET /service/v1/snapshots in a fresh process, with the service's settings and the section's tenants. */
function childOf(ctx: BenchContext, tenantsFile: string, outDir: string): Child {
  const script = join(import.meta.dirname, 'snapshots-child.ts');
  const env = {
    ...ctx.env,
    TENANTS_FILE: tenantsFile,
    TENANT_SERVICE_URL: '',
    PATH: process.env.PATH,
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  return async (what, input) => {
    const inputFile = join(outDir, `snapshots-${what}.json`);
    writeFileSync(inputFile, JSON.stringify(input));
    const { wallMs, out } = await runNode([script, inputFile], env, `the snapshots' ${what}`);
    const answer = lastLine(out) as Omit<SnapshotPages, 'wallMs' | 'apiCalls'> & { tokens: string[] };
    const apiCalls = Object.values(answer.calls).reduce((a, b) => a + b, 0);
    return { ...answer, wallMs: Math.round(wallMs), apiCalls };
  };
}

/** Throws unless the pages answered 200 with the items expected, all the student's own, newest first. */
function check(name: string, p: SnapshotPages, expected: { items: number; continued: boolean }): void {
  if (p.status !== 200 || p.items !== expected.items || p.continued !== expected.continued || !p.ordered || !p.ownOnly)
    throw new Error(
      `snapshots: ${name} answered ${p.status}, ${p.items} items (${expected.items} expected), continue ${p.continued} (${expected.continued} expected), newest first ${p.ordered}, the student's own only ${p.ownOnly}: ${JSON.stringify({ ...p, tokens: undefined }).slice(0, 1500)}`,
    );
}

/**
 * The tenant's entries in moop-records (a deletecollection by its label, again until none is left: 12,000 deletions
 * may outlast one request), then its namespace, awaited until both are gone.
 */
async function removeAll(admin: KubeClient, tenant: Tenant, log: (l: string) => void): Promise<void> {
  const quietly = (p: Promise<unknown>) => p.catch(() => undefined);
  const ns = `/api/v1/namespaces/${tenant.namespace}`;
  const labelSelector = `${tenantLabel}=${tenant.id}`;
  await quietly(admin.request({ method: 'DELETE', path: ns }));
  for (let polls = 1, giveUpAt = Date.now() + 300_000; ; polls++) {
    const records = await admin.request<{ items: unknown[] }>({
      method: 'GET',
      path: configMaps,
      query: { labelSelector, limit: 1 },
    });
    if (records.items.length > 0)
      await quietly(admin.request({ method: 'DELETE', path: configMaps, query: { labelSelector } }));
    const left = await quietly(admin.request({ method: 'GET', path: ns }));
    if (!left && records.items.length === 0) return;
    if (Date.now() > giveUpAt)
      throw new Error(`snapshots: namespace ${tenant.namespace} or the tenant's index entries still there after 300 s`);
    if (polls % 10 === 0)
      log(`[bench] snapshots: waiting for the index entries and namespace ${tenant.namespace} to go`);
    await sleep(records.items.length > 0 ? 0 : 1000);
  }
}

/** The printed table and the calls, each figure beside its goal. */
export function printSnapshots(r: SnapshotsResult): string[] {
  const g = snapshotGoals;
  const widths = [48, 7, 6, 7, 11, 10, 11, 24];
  const pad = (cells: (string | number)[]): string => cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  const size = r.pageSize;
  const pages: [string, SnapshotPages][] = [
    [`first page (limit ${size})`, r.first],
    [`middle page (limit ${size}, after ${r.middle.after})`, r.middle],
    [`last page (limit ${size}, after ${r.last.after})`, r.last],
  ];
  const walkName = `walk of every page (limit ${r.walkPageSize})`;
  const row = (name: string, p: SnapshotPages) =>
    pad([
      name,
      p.status,
      p.pages,
      p.items,
      p.handlerMs,
      p.apiCalls,
      p.answerKiB,
      `${p.rssBeforeMiB} -> ${p.peakRssMiB}`,
    ]);
  const ok = (met: boolean) => (met ? 'ok' : 'MISSED');
  const walkMs = r.walk.pages * g.pageMs;
  const walkCalls = 1 + r.walk.pages * (g.pageCalls - 1);
  const pageMet = (p: SnapshotPages) =>
    p.handlerMs <= g.pageMs && p.apiCalls <= g.pageCalls && p.peakRssMiB <= g.rssMiB;
  const walkMet = r.walk.slowestMs <= g.pageMs && r.walk.apiCalls <= walkCalls && r.walk.peakRssMiB <= g.rssMiB;
  return [
    '',
    `12. Snapshots: ${r.entries} index entries of one student in moop-records, beside ${r.others} of each of two others of the tenant, written by keep() 32 at a time in ${r.writeSeconds} s (${r.writesPerSecond} a second); GET /service/v1/snapshots, each call's handler in a fresh process`,
    pad(['call', 'status', 'pages', 'items', 'handler ms', 'API calls', 'answer KiB', 'RSS MiB (loaded -> peak)']),
    ...pages.map(([name, p]) => row(name, p)),
    row(walkName, r.walk),
    ...[...pages, [walkName, r.walk] as const].map(([name, p]) => `   ${name}: ${describeCalls(p.calls)}`),
    ...pages.map(
      ([name, p]) =>
        `   goal: ${name}: within ${g.pageMs / 1000} s and ${g.pageCalls} API calls at ${r.entries} snapshots, peak <= ${g.rssMiB} MiB: ${p.handlerMs} ms, ${p.apiCalls} calls, peak ${p.peakRssMiB} MiB (${ok(pageMet(p))})`,
    ),
    `   goal: ${walkName}: ${r.walk.pages} pages, each within ${g.pageMs / 1000} s (${walkMs / 1000} s in all), ${walkCalls} API calls, peak <= ${g.rssMiB} MiB: ${(r.walk.handlerMs / 1000).toFixed(2)} s (slowest page ${r.walk.slowestMs} ms), ${r.walk.apiCalls} calls, peak ${r.walk.peakRssMiB} MiB (${ok(walkMet)})`,
    `   handler ms: the invocations in their process (the walk's summed); API calls: every Kubernetes request, discovery included (a fresh process); the walk answered each of the ${r.entries} snapshots once, newest first, none of the others'`,
  ];
}
