// The inventory at scale: one namespace of a tenant of the benchmark's own holding 5,000 volumes and 5,000 claims of
// the service's (rendered by the service's own templates, so marked as it marks them) and 1,000 foreign pods
// (notebooks, unmarked, never scheduled). Timed in-process, as Lambda calls the handlers: the first page of
// GET /service/v1/inventory/volumes, a middle page through its continue, GET /service/v1/inventory/pods, beside the
// single GET /service/v1/volumes/pvcs and one raw list of the claims. Goal: a page of 500 in the time of a few list
// calls. The volumes are made Available and the claims Pending without the PV controller (which writes 20 a second
// here): each volume is reserved for a claim that is never made, each claim names a volume that is never made.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesObject } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { createHandler as podInventory } from '../functions/inventory/pods/get.ts';
import { createHandler as volumeInventory } from '../functions/inventory/volumes/get.ts';
import { createHandler as getClaim } from '../functions/volumes/pvcs/get.ts';
import { depsFrom } from '../lib/app/deps.ts';
import { renderClaim } from '../lib/claims/render.ts';
import { loadConfig } from '../lib/config/config.ts';
import { KubeClient } from '../lib/kube/client.ts';
import { loadKubeconfig } from '../lib/kube/kubeconfig.ts';
import type { RenderScope } from '../lib/tenants/scope.ts';
import type { Tenant } from '../lib/tenants/tenant.ts';
import { claimRefs, volumeRefs } from '../lib/volumes/key.ts';
import { renderVolume } from '../lib/volumes/render.ts';
import { httpEvent, invokeHttp } from '../tools/lambda.ts';
import { prepareTenants } from '../tools/tenants.ts';
import type { BenchContext } from './context.ts';
import { rawClient } from './routes.ts';
import { unfinalize } from './section-tenant.ts';
import { round, type Summary, summarize, time } from './stats.ts';

/** How many of each, the page size and the measured repetitions. */
export interface InventoryShape {
  /** Users, each with a volume and a claim. */
  users: number;
  foreignPods: number;
  pageSize: number;
  repetitions: number;
}

type Call = 'firstPage' | 'middlePage' | 'copies' | 'singleGet' | 'rawList';
const calls: Call[] = ['firstPage', 'middlePage', 'copies', 'singleGet', 'rawList'];

export interface InventoryResult extends InventoryShape {
  setupSeconds: number;
  /** The pages of the volume inventory, and the one timed as the middle one (1-based). */
  pages: number;
  middlePage: number;
  /** Each call's median and p95, ms, and the items it answered. */
  timings: Record<Call, Summary & { items: number }>;
}

const benchLabel = 'moop.io/bench';
const benchSelector = `${benchLabel}=inventory`;

/** The section's tenant: an id MOOP could have given, in a namespace only this section uses. */
const inventoryTenant = (template: Tenant): Tenant => ({
  ...template,
  id: 'be1e00000000000000000000',
  name: 'Bench inventory school',
  namespace: 'bench-inventory',
});

/** Makes the objects, times the calls, and removes everything, the namespace too. */
export async function inventoryAtScale(
  ctx: BenchContext,
  outDir: string,
  shape: InventoryShape,
  log: (l: string) => void,
): Promise<InventoryResult> {
  const tenant = inventoryTenant(ctx.tenant);
  const tenantsFile = join(outDir, 'inventory-tenants.json');
  writeFileSync(tenantsFile, JSON.stringify({ tenants: [ctx.tenant, tenant] }));
  const deps = depsFrom(() => loadConfig({ ...ctx.env, TENANTS_FILE: tenantsFile }));
  const admin = new KubeClient(loadKubeconfig({ file: ctx.adminKubeconfig }), { timeoutMs: 60_000 });
  const started = performance.now();
  try {
    await prepareTenants(ctx.adminKubeconfig, [tenant], () => undefined);
    await makeObjects(admin, await deps.scope(tenant.id), shape, log);
    const setupSeconds = Math.round((performance.now() - started) / 1000);
    log(`[bench] inventory: ${2 * shape.users + shape.foreignPods} objects made in ${setupSeconds} s; timing`);
    await sleep(3000); // the controllers' first look at them
    const setup = { ctx, tenant, handlers: handlersOf(deps), shape };
    const { pages, middle } = await middlePage(setup);
    const timings = await timeCalls(setup, middle.token);
    return { ...shape, setupSeconds, pages, middlePage: middle.page, timings };
  } finally {
    await removeAll(admin, tenant, log);
    await admin.close();
  }
}

/** User i's volume (Available, reserved for a claim never made) and plain claim (naming a volume never made). */
function objectsOf(scope: RenderScope, i: number): { volume: KubernetesObject; claim: KubernetesObject } {
  const key = { username: `bench-inv-${String(i).padStart(5, '0')}`, tag: 'default' };
  const id = scope.tenant.id;
  const volume = renderVolume(
    scope,
    { ...key, path: `${scope.namespace}/bench/inventory/${i}` },
    { name: volumeRefs(scope, key)[0]!.name, claimName: `pvc-${id}-never-${i}` },
  );
  const claim = renderClaim(scope, { ...key, match: false }, claimRefs(scope, key, false)[0]!.name);
  claim.spec = { ...claim.spec, volumeName: `pv-${id}-never-${i}` };
  for (const o of [volume, claim]) o.metadata!.labels = { ...o.metadata!.labels, [benchLabel]: 'inventory' };
  return { volume, claim };
}

/** A notebook's pod, as another system makes them in the namespace: unmarked, and never scheduled. */
const notebook = (i: number) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `notebook-${i}`, labels: { app: 'notebook', [benchLabel]: 'inventory' } },
  spec: { schedulerName: 'bench-unscheduled', containers: [{ name: 'notebook', image: 'jupyter/base-notebook' }] },
});

/** Every user's volume (its status set Available, as the PV controller would) and claim, and the pods; 32 at a time. */
async function makeObjects(admin: KubeClient, scope: RenderScope, shape: InventoryShape, log: (l: string) => void) {
  const limit = pLimit(32);
  const ns = scope.namespace;
  const post = (path: string, body: unknown) => admin.request({ method: 'POST', path, body });
  const user = async (i: number): Promise<void> => {
    const { volume, claim } = objectsOf(scope, i);
    await post('/api/v1/persistentvolumes', volume);
    await admin.request({
      method: 'PATCH',
      path: `/api/v1/persistentvolumes/${volume.metadata!.name}/status`,
      contentType: 'application/merge-patch+json',
      body: { status: { phase: 'Available' } },
    });
    await post(`/api/v1/namespaces/${ns}/persistentvolumeclaims`, claim);
  };
  const work = [
    ...Array.from({ length: shape.users }, (_, i) => limit(() => user(i))),
    ...Array.from({ length: shape.foreignPods }, (_, i) =>
      limit(() => post(`/api/v1/namespaces/${ns}/pods`, notebook(i))),
    ),
  ];
  let done = 0;
  for (const w of work) {
    await w;
    if (++done % 1000 === 0) log(`[bench] inventory: ${done}/${work.length} users and pods made`);
  }
}

type Handler = ReturnType<typeof volumeInventory>;

function handlersOf(deps: ReturnType<typeof depsFrom>) {
  return { volumes: volumeInventory(deps), copies: podInventory(deps), claim: getClaim(deps) };
}

interface TimingSetup {
  ctx: BenchContext;
  tenant: Tenant;
  handlers: ReturnType<typeof handlersOf>;
  shape: InventoryShape;
}

type Page = { items: unknown[]; continue?: string };

/** One call of an inventory route in-process; throws unless it answered 200. */
async function inventoryCall(s: TimingSetup, handler: Handler, path: string, query: Record<string, string>) {
  const event = httpEvent('GET', path, s.ctx.env.MOOPKEY!, { query: { tenant: s.tenant.id, ...query } });
  const answer = await invokeHttp<Page>(handler, event);
  if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

const volumesPath = '/service/v1/inventory/volumes';

/** Walks the volume inventory's pages: how many, and the continue of the middle one (the first when there is one). */
async function middlePage(s: TimingSetup): Promise<{ pages: number; middle: { page: number; token?: string } }> {
  const tokens: (string | undefined)[] = [undefined];
  let items = 0;
  for (;;) {
    const query = { limit: String(s.shape.pageSize), ...(tokens.at(-1) ? { continue: tokens.at(-1)! } : {}) };
    const page = await inventoryCall(s, s.handlers.volumes, volumesPath, query);
    items += page.items.length;
    if (!page.continue) break;
    tokens.push(page.continue);
  }
  if (items !== s.shape.users) throw new Error(`inventory: its pages listed ${items} users of ${s.shape.users}`);
  const page = Math.floor(tokens.length / 2) + 1;
  return { pages: tokens.length, middle: { page, token: tokens[page - 1] } };
}

/** Each call once per repetition, interleaved, after one warm-up round. */
async function timeCalls(s: TimingSetup, middleToken: string | undefined): Promise<InventoryResult['timings']> {
  const raw = rawClient(s.ctx.adminKubeconfig);
  const ns = s.tenant.namespace!;
  const limit = String(s.shape.pageSize);
  const work: Record<Call, () => Promise<number>> = {
    firstPage: async () => (await inventoryCall(s, s.handlers.volumes, volumesPath, { limit })).items.length,
    middlePage: async () =>
      (
        await inventoryCall(s, s.handlers.volumes, volumesPath, {
          limit,
          ...(middleToken ? { continue: middleToken } : {}),
        })
      ).items.length,
    copies: async () =>
      (await inventoryCall(s, s.handlers.copies, '/service/v1/inventory/pods', { limit })).items.length,
    singleGet: async () => {
      const event = httpEvent('GET', '/service/v1/volumes/pvcs', s.ctx.env.MOOPKEY!, {
        query: { tenant: s.tenant.id, username: 'bench-inv-00000' },
      });
      const answer = await invokeHttp(s.handlers.claim, event);
      if (answer.status !== 200) throw new Error(`GET pvcs answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return 1;
    },
    rawList: async () =>
      (await raw.call<Page>('GET', `/api/v1/namespaces/${ns}/persistentvolumeclaims?limit=${limit}&resourceVersion=0`))
        .items.length,
  };
  const samples = Object.fromEntries(calls.map((c) => [c, [] as number[]])) as Record<Call, number[]>;
  const items = {} as Record<Call, number>;
  try {
    for (let r = 0; r <= s.shape.repetitions; r++) {
      for (const c of calls) {
        const [ms, n] = await time(work[c]);
        if (r > 0) samples[c].push(ms);
        items[c] = n;
      }
    }
  } finally {
    raw.close();
  }
  return Object.fromEntries(
    calls.map((c) => [c, { ...summarize(samples[c]), items: items[c] }]),
  ) as InventoryResult['timings'];
}

/**
 * The claims and volumes deleted, their protection finalizers taken off (the protection controllers would take
 * minutes, 20 writes a second), then the namespace, awaited until gone.
 */
async function removeAll(admin: KubeClient, tenant: Tenant, log: (l: string) => void): Promise<void> {
  const quietly = (p: Promise<unknown>) => p.catch(() => undefined);
  const ns = tenant.namespace!;
  const claims = `/api/v1/namespaces/${ns}/persistentvolumeclaims`;
  await quietly(admin.request({ method: 'DELETE', path: claims, query: { labelSelector: benchSelector } }));
  await quietly(
    admin.request({ method: 'DELETE', path: '/api/v1/persistentvolumes', query: { labelSelector: benchSelector } }),
  );
  await Promise.all([
    unfinalize(admin, claims, benchSelector),
    unfinalize(admin, '/api/v1/persistentvolumes', benchSelector),
  ]);
  await quietly(admin.request({ method: 'DELETE', path: `/api/v1/namespaces/${ns}` }));
  for (let polls = 1, giveUpAt = Date.now() + 300_000; ; polls++) {
    const left = await quietly(admin.request({ method: 'GET', path: `/api/v1/namespaces/${ns}` }));
    const volumes = await admin.request<{ items: unknown[] }>({
      method: 'GET',
      path: '/api/v1/persistentvolumes',
      query: { labelSelector: benchSelector, limit: 1 },
    });
    if (!left && volumes.items.length === 0) return;
    if (Date.now() > giveUpAt) throw new Error(`inventory: namespace ${ns} or its volumes still there after 300 s`);
    if (polls % 10 === 0) log(`[bench] inventory: waiting for namespace ${ns} to go`);
    await sleep(1000);
  }
}

/** The printed table, with the goal. */
export function printInventory(r: InventoryResult): string[] {
  const t = r.timings;
  const widths = [62, 14, 7, 10];
  const pad = (cells: (string | number)[]): string => cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  const ratio = (c: Call) => round(t[c].median / t.rawList.median);
  const rows: [Call, string][] = [
    ['firstPage', `GET inventory/volumes limit=${r.pageSize}, first page`],
    ['middlePage', `GET inventory/volumes, page ${r.middlePage} of ${r.pages} (continue)`],
    ['copies', `GET inventory/pods limit=${r.pageSize} (no copies; the foreign pods)`],
    ['singleGet', 'GET volumes/pvcs (one Pending claim)'],
    ['rawList', `raw list of the claims (admin, limit=${r.pageSize}, resourceVersion=0)`],
  ];
  const few = Math.max(ratio('firstPage'), ratio('middlePage'));
  return [
    '',
    `9. Inventory over ${r.users} volumes + ${r.users} claims of the service and ${r.foreignPods} foreign pods in one namespace (in-process, ${r.repetitions} repetitions; made in ${r.setupSeconds} s)`,
    pad(['call', 'med/p95 ms', 'items', 'x raw list']),
    ...rows.map(([c, name]) => pad([name, `${t[c].median}/${t[c].p95}`, t[c].items, ratio(c)])),
    `   goal: one page of ${r.pageSize} answers in the time of a few list calls (<= 5x one raw list): first ${ratio('firstPage')}x, middle ${ratio('middlePage')}x (${few <= 5 ? 'ok' : 'MISSED'}); the single GET takes ${t.singleGet.median} ms`,
  ];
}
