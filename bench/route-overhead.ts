// Route overhead: create/get/delete cycles of a claim through the handlers, in-process as Lambda calls them and
// over HTTP through serverless-offline, against the same Kubernetes calls made directly with client-node.
import { CoreV1Api, KubeConfig, type V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { createHandler as deleteClaim } from '../functions/volumes/pvcs/delete.ts';
import { createHandler as getClaim } from '../functions/volumes/pvcs/get.ts';
import { createHandler as createClaim } from '../functions/volumes/pvcs/post.ts';
import type { Deps } from '../lib/deps.ts';
import { renderClaim } from '../lib/render/volumes.ts';
import { type Tenant, TenantSchema } from '../lib/tenants/tenant.ts';
import { httpEvent, invokeHttp } from '../test/support/lambda.ts';
import { round, type Summary, summarize, time } from './stats.ts';

export interface OverheadSetup {
  deps: Deps;
  moopkey: string;
  tenant: Tenant;
  namespace: string;
  serviceKubeconfig: string;
  apiUrl: string;
}

type Op = 'create' | 'get' | 'delete';
const ops: Op[] = ['create', 'get', 'delete'];
const path = '/service/v1/volumes/pvcs';

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`benchmark cycle failed: ${what}`);
}

/** The same Kubernetes calls each route makes, straight through client-node. */
function directCycle(core: CoreV1Api, setup: OverheadSetup) {
  return async (user: string): Promise<Record<Op, number>> => {
    const body = renderClaim(
      setup.tenant,
      { tenant: setup.tenant.id, username: user, tag: 'default', match: false },
      setup.namespace,
    ) as V1PersistentVolumeClaim;
    const name = body.metadata!.name!;
    const ns = setup.namespace;
    const [create] = await time(() => core.createNamespacedPersistentVolumeClaim({ namespace: ns, body }));
    const [get] = await time(async () => {
      const claim = await core.readNamespacedPersistentVolumeClaim({ name, namespace: ns });
      await core.listNamespacedEvent({
        namespace: ns,
        fieldSelector: `involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${name},involvedObject.uid=${claim.metadata?.uid}`,
      });
    });
    const [del] = await time(async () => {
      const claim = await core.readNamespacedPersistentVolumeClaim({ name, namespace: ns });
      await core.listNamespacedPod({ namespace: ns, limit: 500 });
      await core.deleteNamespacedPersistentVolumeClaim({
        name,
        namespace: ns,
        body: { preconditions: { uid: claim.metadata?.uid, resourceVersion: claim.metadata?.resourceVersion } },
      });
    });
    return { create, get, delete: del };
  };
}

function inProcessCycle(setup: OverheadSetup) {
  const handlers = { create: createClaim(setup.deps), get: getClaim(setup.deps), delete: deleteClaim(setup.deps) };
  return async (user: string): Promise<Record<Op, number>> => {
    const q = { tenant: setup.tenant.id, username: user };
    const [create, c] = await time(() => invokeHttp(handlers.create, httpEvent('POST', path, setup.moopkey, { body: q })));
    const [get, g] = await time(() => invokeHttp(handlers.get, httpEvent('GET', path, setup.moopkey, { query: q })));
    const [del, d] = await time(() => invokeHttp(handlers.delete, httpEvent('DELETE', path, setup.moopkey, { query: q })));
    expect(c.status === 201 && g.status === 200 && d.status === 200, `in-process ${c.status}/${g.status}/${d.status}`);
    return { create, get, delete: del };
  };
}

function httpCycle(setup: OverheadSetup) {
  const call = async (method: string, query: Record<string, string>, body?: unknown): Promise<number> => {
    const url = new URL(setup.apiUrl + path);
    if (!body) for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const response = await fetch(url, {
      method,
      headers: { moopkey: setup.moopkey, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    await response.arrayBuffer();
    return response.status;
  };
  return async (user: string): Promise<Record<Op, number>> => {
    const q = { tenant: setup.tenant.id, username: user };
    const [create, c] = await time(() => call('POST', q, q));
    const [get, g] = await time(() => call('GET', q));
    const [del, d] = await time(() => call('DELETE', q));
    expect(c === 201 && g === 200 && d === 200, `http ${c}/${g}/${d}`);
    return { create, get, delete: del };
  };
}

export interface OverheadResult {
  cycles: number;
  perOperation: Record<Op, { direct: Summary; inProcess: Summary; http: Summary; ratioMedian: number; ratioP95: number }>;
}

/** Runs `cycles` measured cycles of each kind, interleaved so that drift in the cluster hits all alike. */
export async function routeOverhead(setup: OverheadSetup, cycles: number, log: (l: string) => void): Promise<OverheadResult> {
  const kc = new KubeConfig();
  kc.loadFromFile(setup.serviceKubeconfig);
  const kinds = { direct: directCycle(kc.makeApiClient(CoreV1Api), setup), inProcess: inProcessCycle(setup), http: httpCycle(setup) };
  const samples = { direct: [] as Record<Op, number>[], inProcess: [] as Record<Op, number>[], http: [] as Record<Op, number>[] };
  const warmup = 10;
  for (let i = 0; i < cycles + warmup; i++) {
    for (const kind of ['direct', 'inProcess', 'http'] as const) {
      const result = await kinds[kind](`bench-${kind.toLowerCase()}-${i}`);
      if (i >= warmup) samples[kind].push(result);
    }
    if (i >= warmup && (i + 1 - warmup) % 50 === 0) log(`[bench] route overhead: ${i + 1 - warmup}/${cycles} cycles`);
  }
  const perOperation = Object.fromEntries(
    ops.map((op) => {
      const [direct, inProcess, http] = (['direct', 'inProcess', 'http'] as const).map((k) => summarize(samples[k].map((s) => s[op])));
      return [
        op,
        {
          direct: direct!,
          inProcess: inProcess!,
          http: http!,
          ratioMedian: round(inProcess!.median / direct!.median),
          ratioP95: round(inProcess!.p95 / direct!.p95),
        },
      ];
    }),
  ) as OverheadResult['perOperation'];
  return { cycles, perOperation };
}

export const parseTenant = (raw: unknown): Tenant => TenantSchema.parse(raw);
