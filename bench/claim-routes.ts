// Claim routes against volume routes: create/get/delete cycles of each, in-process as Lambda calls them, and the
// claim's GET and DELETE again once 5,000 events pile up in the namespace. Goals: each claim route's median within
// 1.5x of the same route for volumes, and flat (within 1.5x) from 0 to 5,000 events.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { createHandler as deleteClaim } from '../functions/volumes/pvcs/delete.ts';
import { createHandler as getClaim } from '../functions/volumes/pvcs/get.ts';
import { createHandler as createClaim } from '../functions/volumes/pvcs/post.ts';
import { createHandler as deleteVolume } from '../functions/volumes/pvs/delete.ts';
import { createHandler as getVolume } from '../functions/volumes/pvs/get.ts';
import { createHandler as createVolume } from '../functions/volumes/pvs/post.ts';
import type { Deps } from '../lib/app/deps.ts';
import { httpEvent, invokeHttp } from '../tools/lambda.ts';
import { round, type Summary, summarize, time } from './stats.ts';

type Op = 'create' | 'get' | 'delete';
const ops: Op[] = ['create', 'get', 'delete'];

export interface ClaimRoutesResult {
  cycles: number;
  events: number;
  volume: Record<Op, Summary>;
  claim: Record<Op, Summary>;
  claimWithEvents: Pick<Record<Op, Summary>, 'get' | 'delete'>;
}

function cycle(deps: Deps, moopkey: string, tenant: string, namespace: string, route: 'pvs' | 'pvcs') {
  const path = `/service/v1/volumes/${route}`;
  const handlers =
    route === 'pvs'
      ? { create: createVolume(deps), get: getVolume(deps), delete: deleteVolume(deps) }
      : { create: createClaim(deps), get: getClaim(deps), delete: deleteClaim(deps) };
  return async (user: string): Promise<Record<Op, number>> => {
    const q = { tenant, username: user };
    const body = route === 'pvs' ? { ...q, path: `${namespace}/bench/${user}` } : q;
    const [create, c] = await time(() => invokeHttp(handlers.create, httpEvent('POST', path, moopkey, { body })));
    const [get, g] = await time(() => invokeHttp(handlers.get, httpEvent('GET', path, moopkey, { query: q })));
    const [del, d] = await time(() => invokeHttp(handlers.delete, httpEvent('DELETE', path, moopkey, { query: q })));
    if (c.status !== 201 || g.status !== 200 || d.status !== 200)
      throw new Error(`benchmark cycle of ${route} failed: ${c.status}/${g.status}/${d.status}`);
    return { create, get, delete: del };
  };
}

const summaries = (samples: Record<Op, number>[]): Record<Op, Summary> =>
  Object.fromEntries(ops.map((op) => [op, summarize(samples.map((s) => s[op]))])) as Record<Op, Summary>;

/** Measures the claim and volume routes, then the claim's again over `events` events in namespace. */
export async function claimRoutes(
  setup: { deps: Deps; moopkey: string; tenant: string; namespace: string; adminKubeconfig: string },
  { cycles, warmup, events }: { cycles: number; warmup: number; events: number },
  log: (l: string) => void,
): Promise<ClaimRoutesResult> {
  const volumeCycle = cycle(setup.deps, setup.moopkey, setup.tenant, setup.namespace, 'pvs');
  const claimCycle = cycle(setup.deps, setup.moopkey, setup.tenant, setup.namespace, 'pvcs');
  const samples = { volume: [] as Record<Op, number>[], claim: [] as Record<Op, number>[] };
  for (let i = 0; i < cycles + warmup; i++) {
    const [v, c] = [await volumeCycle(`bench-claims-v-${i}`), await claimCycle(`bench-claims-c-${i}`)];
    if (i >= warmup) {
      samples.volume.push(v);
      samples.claim.push(c);
    }
  }
  log(
    `[bench] claim routes: ${cycles} cycles each of volumes and claims measured; making ${events} events in ${setup.namespace}`,
  );
  const kc = new KubeConfig();
  kc.loadFromFile(setup.adminKubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  await makeEvents(core, setup.namespace, events);
  const claimWithEvents: Record<Op, number>[] = [];
  for (let i = 0; i < cycles + warmup; i++) {
    const c = await claimCycle(`bench-claims-e-${i}`);
    if (i >= warmup) claimWithEvents.push(c);
  }
  await core.deleteCollectionNamespacedEvent({ namespace: setup.namespace, fieldSelector: 'reason=BenchNoise' });
  const withEvents = summaries(claimWithEvents);
  return {
    cycles,
    events,
    volume: summaries(samples.volume),
    claim: summaries(samples.claim),
    claimWithEvents: { get: withEvents.get, delete: withEvents.delete },
  };
}

/** Makes count events about pods, none about any claim, 16 requests at a time. */
async function makeEvents(core: CoreV1Api, namespace: string, count: number): Promise<void> {
  const limit = pLimit(16);
  const event = (i: number) => ({
    metadata: { name: `bench-event-${i}` },
    involvedObject: { kind: 'Pod', name: `bench-pod-${i % 100}`, namespace },
    reason: 'BenchNoise',
    message: 'an event that is not about any claim',
    type: 'Normal',
  });
  await Promise.all(
    Array.from({ length: count }, (_, i) => limit(() => core.createNamespacedEvent({ namespace, body: event(i) }))),
  );
}

/** The printed table: medians, ratios and whether each goal is met. */
export function printClaimRoutes(r: ClaimRoutesResult): string[] {
  const out = [
    '',
    `6. Claim routes against volume routes, ${r.cycles} in-process cycles each (median/p95 ms); then claims again over ${r.events} events`,
  ];
  const pad = (cells: (string | number)[]): string =>
    cells.map((c, i) => String(c).padEnd([8, 16, 16, 10, 24, 12][i]!)).join('  ');
  out.push(pad(['op', 'volume', 'claim', 'ratio', `claim, ${r.events} events`, 'ratio']));
  for (const op of ops) {
    const ratio = round(r.claim[op].median / r.volume[op].median);
    const withEvents = op === 'create' ? undefined : r.claimWithEvents[op];
    const flat = withEvents ? round(withEvents.median / r.claim[op].median) : undefined;
    out.push(
      pad([
        op,
        `${r.volume[op].median}/${r.volume[op].p95}`,
        `${r.claim[op].median}/${r.claim[op].p95}`,
        ratio,
        withEvents ? `${withEvents.median}/${withEvents.p95}` : '-',
        flat ?? '-',
      ]),
    );
  }
  out.push('   goals: claim/volume median ratio <= 1.5; with events/without ratio <= 1.5 (flat)');
  return out;
}
