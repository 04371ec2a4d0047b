// Class operations at scale: in a namespace of a tenant of its own, whose pod template is a bare Pod (as every real
// MOOP tenant record's) and whose copies land on kwok's nodes, a class of 300 students each with their own claim,
// Bound (provisioned in-process by the roster's own function, then left to the PV controller), a teacher's claim and
// one shared claim. Then, each call's handler in a fresh process as Lambda runs it, with an Idempotency-Key and
// notify as a careful caller sends them: a distribution to the class (20 copies of 15), the same class in the shared
// claim (13 copies of 24), and a collection of the class (20 copies); the distribution read back (GET) right after its
// start, once kwok has ended every copy of the three, and once more (by then its results are kept). For each:
// the handler's time, its Kubernetes calls by verb and resource, the copies made, and the process's memory loaded and
// at its peak. A start that does not answer 202 with every student in a copy, or with another number of copies than
// the plan's, fails the run. Everything made is removed: the copies, claims, volumes, the operations' records, their
// outcomes and notices in moop-records, and the namespace.

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { depsFrom } from '../lib/app/deps.ts';
import { loadConfig } from '../lib/config/config.ts';
import { KubeClient } from '../lib/kube/client.ts';
import { loadKubeconfig } from '../lib/kube/kubeconfig.ts';
import { studentsPerCopy } from '../lib/operations/plan.ts';
import { operationLabel } from '../lib/operations/record.ts';
import { ownerSelector, recordsNamespace, tenantLabel } from '../lib/ownership/ownership.ts';
import { provisionRoster } from '../lib/provisioning/roster.ts';
import type { Tenant } from '../lib/tenants/tenant.ts';
import { prepareTenants } from '../tools/tenants.ts';
import type { BenchContext } from './context.ts';
import { describeCalls } from './kube-calls.ts';
import { sectionTenant, unfinalize } from './section-tenant.ts';
import { lastLine, runNode } from './stats.ts';

/** One handler invocation in a fresh process. */
export interface OperationCall {
  status: number;
  /** The process from its start to its exit, and the handler's call. */
  wallMs: number;
  handlerMs: number;
  /** Kubernetes requests by "verb resource" (discovery included), and their sum. */
  calls: Record<string, number>;
  apiCalls: number;
  /** The answer's size, and what it holds. */
  answerKiB: number;
  id: string;
  state: string;
  students: number;
  copies: number;
  /** The copies' sizes (students each), distinct. */
  perCopy: number[];
  summary: Record<string, number>;
  /** The students' reason codes, distinct. */
  reasons: string[];
  rssBeforeMiB: number;
  peakRssMiB: number;
}

export interface OperationsResult {
  students: number;
  /** Making the class's volumes and claims, until every claim was Bound. */
  provisionSeconds: number;
  distribution: OperationCall;
  shared: OperationCall;
  collection: OperationCall;
  /**
   * The distribution read back: right after its start (kwok may have ended its copies already), once kwok had ended
   * every copy, and again.
   */
  reads: { first: OperationCall; ended: OperationCall; again: OperationCall };
  /** From the distribution's start until kwok had ended every copy of the three operations. */
  finishSeconds: number;
}

/** The goals: a start within 5 s and 30 Kubernetes calls; a read within 1 s and 3 calls; the functions' 512 MB. */
export const operationGoals = { startMs: 5000, startCalls: 30, readMs: 1000, readCalls: 3, rssMiB: 512 } as const;

const teacher = 'bench-op-teacher';
const sharedOwner = 'bench-op-shared';

/** Provisions the class, starts and reads its operations, and removes everything. */
export async function operationsAtScale(
  ctx: BenchContext,
  outDir: string,
  size: number,
  log: (l: string) => void,
): Promise<OperationsResult> {
  const tenant = sectionTenant(ctx.tenant, {
    id: 'be3e00000000000000000000',
    name: 'Bench operations school',
    namespace: 'bench-operations',
  });
  const tenantsFile = join(outDir, 'operations-tenants.json');
  writeFileSync(tenantsFile, JSON.stringify({ tenants: [ctx.tenant, tenant] }));
  const deps = depsFrom(() => loadConfig({ ...ctx.env, TENANTS_FILE: tenantsFile }));
  const admin = new KubeClient(loadKubeconfig({ file: ctx.adminKubeconfig }), { timeoutMs: 60_000 });
  const usernames = Array.from({ length: size }, (_, i) => `bench-op-${String(i).padStart(3, '0')}`);
  try {
    await prepareTenants(ctx.adminKubeconfig, [tenant], () => undefined);
    const provisioning = performance.now();
    await provision(deps, admin, tenant, [...usernames, teacher, sharedOwner], log);
    const provisionSeconds = seconds(provisioning);
    log(`[bench] operations: ${size + 2} claims Bound in ${provisionSeconds} s; starting the operations`);
    const child = childOf(ctx, tenantsFile, outDir);
    const students = usernames.map((username) => ({ username, tag: 'default' }));
    const run = randomBytes(4).toString('hex');
    const asked = (what: string) => ({
      idempotencyKey: `bench-operations-${what}-${run}`,
      notify: { id: `bench-operations-${what}` },
    });
    const { idempotencyKey, notify } = asked('distribution');
    const source = { username: teacher, tag: 'default', subpath: 'course/week1' };
    const body = { tenant: tenant.id, source, students, subpath: 'week1', mode: 'keep', notify };
    const distributing = performance.now();
    const distribution = started(await child('distribution', { body, idempotencyKey }), size, studentsPerCopy.own);
    const query = { tenant: tenant.id, id: distribution.id };
    const first = await child('read', { query });
    log(`[bench] operations: distribution started in ${distribution.handlerMs} ms; the same class in a shared claim`);
    const inShared = { username: sharedOwner, tag: 'default', subpath: 'home' };
    const shared = started(
      await child('distribution', {
        body: { ...body, shared: inShared, notify: asked('shared').notify },
        idempotencyKey: asked('shared').idempotencyKey,
      }),
      size,
      studentsPerCopy.shared,
    );
    const destination = { username: teacher, tag: 'default', subpath: 'submissions' };
    const collected = {
      tenant: tenant.id,
      students,
      subpath: 'week1',
      destination,
      assignment: 'week1',
      cutoff: new Date().toISOString(),
      notify: asked('collection').notify,
    };
    const collection = started(
      await child('collection', { body: collected, idempotencyKey: asked('collection').idempotencyKey }),
      size,
      studentsPerCopy.own,
    );
    log(`[bench] operations: collection started in ${collection.handlerMs} ms; waiting for kwok to end the copies`);
    await untilEnded(admin, tenant.namespace!, [distribution, shared, collection], log);
    const finishSeconds = seconds(distributing);
    const ended = await child('read', { query });
    const again = await child('read', { query });
    for (const [name, read] of Object.entries({ first, ended, again }))
      if (read.status !== 200 || read.students !== size)
        throw new Error(`operations: the ${name} read answered ${read.status}: ${JSON.stringify(read)}`);
    if (ended.state === 'Running' || again.state !== ended.state)
      throw new Error(`operations: read once every copy ended: ${ended.state}, then ${again.state}`);
    return {
      students: size,
      provisionSeconds,
      distribution,
      shared,
      collection,
      reads: { first, ended, again },
      finishSeconds,
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

const seconds = (since: number): number => Math.round((performance.now() - since) / 100) / 10;

/** Each of usernames' volume and match claim, made by the roster's function in-process, then awaited until Bound. */
async function provision(
  deps: ReturnType<typeof depsFrom>,
  admin: KubeClient,
  tenant: Tenant,
  usernames: string[],
  log: (l: string) => void,
): Promise<void> {
  const scope = await deps.scope(tenant.id);
  const students = usernames.map((username) => ({
    username,
    path: `${tenant.namespace}/bench/operations/${username}`,
  }));
  const outcome = await provisionRoster(
    scope,
    { tenant: tenant.id, students, wait: 0 },
    { deadline: Date.now() + 600_000 },
  );
  const { created, existing } = outcome.summary;
  if (created + existing !== usernames.length)
    throw new Error(
      `operations: the roster made ${created} of ${usernames.length} students' storage: ${JSON.stringify(outcome.results.find((r) => r.code))}`,
    );
  const path = `/api/v1/namespaces/${tenant.namespace}/persistentvolumeclaims`;
  const labelSelector = ownerSelector({ tenant: tenant.id });
  for (let polls = 1, giveUpAt = Date.now() + 600_000; ; polls++) {
    const claims = await admin.request<{ items: V1PersistentVolumeClaim[] }>({
      method: 'GET',
      path,
      query: { labelSelector, resourceVersion: '0' },
    });
    const bound = claims.items.filter((c) => c.status?.phase === 'Bound').length;
    if (bound >= usernames.length) return;
    if (Date.now() > giveUpAt) throw new Error(`operations: ${bound} of ${usernames.length} claims Bound after 600 s`);
    if (polls % 10 === 0) log(`[bench] operations: ${bound}/${usernames.length} claims Bound`);
    await sleep(1000);
  }
}

type Child = (
  what: 'distribution' | 'collection' | 'read',
  input: { body?: unknown; idempotencyKey?: string; query?: Record<string, string> },
) => Promise<OperationCall>;

/** One handler invocation in a fresh process, with the service's settings and the section's tenants. */
function childOf(ctx: BenchContext, tenantsFile: string, outDir: string): Child {
  const script = join(import.meta.dirname, 'operations-child.ts');
  const env = {
    ...ctx.env,
    TENANTS_FILE: tenantsFile,
    TENANT_SERVICE_URL: '',
    PATH: process.env.PATH,
    // The publisher is made (notify), and asked to publish nothing: an operation just started has not ended.
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  return async (what, input) => {
    const inputFile = join(outDir, `operations-${what}.json`);
    writeFileSync(inputFile, JSON.stringify(input));
    const { wallMs, out } = await runNode([script, what, inputFile], env, `the operation's ${what}`);
    const answer = lastLine(out) as Omit<OperationCall, 'wallMs' | 'apiCalls'>;
    const apiCalls = Object.values(answer.calls).reduce((a, b) => a + b, 0);
    return { ...answer, wallMs: Math.round(wallMs), apiCalls };
  };
}

/** The start's figures; throws unless it answered 202 with every student in a copy of the plan's size. */
function started(call: OperationCall, students: number, perCopy: number): OperationCall {
  const copies = Math.ceil(students / perCopy);
  const inCopies = call.summary?.running ?? 0;
  if (call.status !== 202 || call.copies !== copies || inCopies !== students)
    throw new Error(
      `operations: a start of ${students} students answered ${call.status} with ${call.copies} copies (${copies} expected), ${inCopies} students running: ${JSON.stringify(call).slice(0, 1500)}`,
    );
  return call;
}

/** Waits until kwok has ended every copy of the operations (each of their pods Succeeded or Failed). */
async function untilEnded(admin: KubeClient, namespace: string, ops: OperationCall[], log: (l: string) => void) {
  const copies = ops.reduce((sum, op) => sum + op.copies, 0);
  const labelSelector = `${operationLabel} in (${ops.map((op) => op.id).join(',')})`;
  for (let polls = 1, giveUpAt = Date.now() + 300_000; ; polls++) {
    const pods = await admin.request<{ items: V1Pod[] }>({
      method: 'GET',
      path: `/api/v1/namespaces/${namespace}/pods`,
      query: { labelSelector },
    });
    const phases: Record<string, number> = {};
    for (const p of pods.items) phases[p.status?.phase ?? 'none'] = (phases[p.status?.phase ?? 'none'] ?? 0) + 1;
    if ((phases.Succeeded ?? 0) + (phases.Failed ?? 0) === copies) return;
    if (Date.now() > giveUpAt)
      throw new Error(`operations: ${copies} copies not all ended after 300 s: ${JSON.stringify(phases)}`);
    if (polls % 10 === 0) log(`[bench] operations: waiting for kwok: copies ${JSON.stringify(phases)}`);
    await sleep(1000);
  }
}

/**
 * The copies (at once, grace 0), the claims and volumes (their protection finalizers taken off: the protection
 * controllers would take minutes, 20 writes a second), the tenant's records, outcomes and notices in moop-records,
 * then the namespace, awaited until it and the volumes are gone.
 */
async function removeAll(admin: KubeClient, tenant: Tenant, log: (l: string) => void): Promise<void> {
  const quietly = (p: Promise<unknown>) => p.catch(() => undefined);
  const ns = `/api/v1/namespaces/${tenant.namespace}`;
  const labelSelector = ownerSelector({ tenant: tenant.id });
  const claims = `${ns}/persistentvolumeclaims`;
  const volumes = '/api/v1/persistentvolumes';
  await quietly(admin.request({ method: 'DELETE', path: `${ns}/pods`, query: { gracePeriodSeconds: 0 } }));
  await quietly(admin.request({ method: 'DELETE', path: claims, query: { labelSelector } }));
  await quietly(admin.request({ method: 'DELETE', path: volumes, query: { labelSelector } }));
  await Promise.all([unfinalize(admin, claims, labelSelector), unfinalize(admin, volumes, labelSelector)]);
  await quietly(
    admin.request({
      method: 'DELETE',
      path: `/api/v1/namespaces/${recordsNamespace}/configmaps`,
      query: { labelSelector: `${tenantLabel}=${tenant.id}` },
    }),
  );
  await quietly(admin.request({ method: 'DELETE', path: ns }));
  for (let polls = 1, giveUpAt = Date.now() + 300_000; ; polls++) {
    const left = await quietly(admin.request({ method: 'GET', path: ns }));
    const records = await admin.request<{ items: unknown[] }>({
      method: 'GET',
      path: `/api/v1/namespaces/${recordsNamespace}/configmaps`,
      query: { labelSelector: `${tenantLabel}=${tenant.id}`, limit: 1 },
    });
    const pvs = await admin.request<{ items: unknown[] }>({
      method: 'GET',
      path: volumes,
      query: { labelSelector, limit: 1 },
    });
    if (!left && pvs.items.length === 0 && records.items.length === 0) return;
    if (Date.now() > giveUpAt)
      throw new Error(`operations: namespace ${ns}, its volumes or its records still there after 300 s`);
    if (polls % 10 === 0) log(`[bench] operations: waiting for namespace ${tenant.namespace} to go`);
    await sleep(1000);
  }
}

/** The printed table and the calls, each figure beside its goal. */
export function printOperations(r: OperationsResult): string[] {
  const g = operationGoals;
  const widths = [44, 7, 9, 10, 10, 10, 24, 0];
  const pad = (cells: (string | number)[]): string => cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  const starts: [string, OperationCall, number][] = [
    [`distribution, own claims (${studentsPerCopy.own} a copy)`, r.distribution, studentsPerCopy.own],
    [`distribution, one shared claim (${studentsPerCopy.shared} a copy)`, r.shared, studentsPerCopy.shared],
    [`collection, own claims (${studentsPerCopy.own} a copy)`, r.collection, studentsPerCopy.own],
  ];
  // A read that keeps the results (the first to see every student's) has one call more: the record's patch.
  const allowed = (c: OperationCall) => g.readCalls + (c.calls['patch configmaps'] ?? 0);
  const reads: [string, OperationCall, number][] = [
    ['distribution read right after its start', r.reads.first, allowed(r.reads.first)],
    ['read once kwok had ended every copy', r.reads.ended, allowed(r.reads.ended)],
    ['read again', r.reads.again, allowed(r.reads.again)],
  ];
  const row = (name: string, c: OperationCall) =>
    pad([
      name,
      c.status,
      c.copies,
      c.handlerMs,
      c.apiCalls,
      c.answerKiB,
      `${c.rssBeforeMiB} -> ${c.peakRssMiB}`,
      c.state,
    ]);
  const ok = (met: boolean) => (met ? 'ok' : 'MISSED');
  const startMet = (c: OperationCall, per: number) =>
    c.copies === Math.ceil(r.students / per) &&
    c.handlerMs <= g.startMs &&
    c.apiCalls <= g.startCalls &&
    c.peakRssMiB <= g.rssMiB;
  const readMet = (c: OperationCall, calls: number) => c.handlerMs <= g.readMs && c.apiCalls <= calls;
  return [
    '',
    `11. Class operations: ${r.students} students, each with their own claim, Bound (made in ${r.provisionSeconds} s), copies on kwok; each handler in a fresh process, with an Idempotency-Key and notify; the three operations' ${r.distribution.copies + r.shared.copies + r.collection.copies} copies all seen ended ${r.finishSeconds} s after the first's start`,
    pad(['call', 'status', 'copies', 'handler ms', 'API calls', 'answer KiB', 'RSS MiB (loaded -> peak)', 'state']),
    ...starts.map(([name, c]) => row(name, c)),
    ...reads.map(([name, c]) => row(name, c)),
    ...[...starts, ...reads].map(([name, c]) => `   ${name}: ${describeCalls(c.calls)}`),
    ...starts.map(
      ([name, c, per]) =>
        `   goal: ${name}: ${Math.ceil(r.students / per)} copies, started within ${g.startMs / 1000} s and ${g.startCalls} API calls, peak <= ${g.rssMiB} MiB: ${c.copies} copies, ${(c.handlerMs / 1000).toFixed(2)} s, ${c.apiCalls} calls, peak ${c.peakRssMiB} MiB (${ok(startMet(c, per))})`,
    ),
    ...reads.map(
      ([name, c, calls]) =>
        `   goal: ${name}: within ${g.readMs / 1000} s and ${calls} API calls: ${c.handlerMs} ms, ${c.apiCalls} calls (${ok(readMet(c, calls))})`,
    ),
    `   handler ms: the invocation in its process; API calls: every Kubernetes request of it, discovery included (a fresh process); a read that keeps the results (patch configmaps) may make one more; the ${r.students} students once ended: ${JSON.stringify(r.reads.again.summary)} (kwok writes no termination message: ${r.reads.again.reasons.join(', ') || 'no reason'})`,
  ];
}
