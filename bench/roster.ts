// A class's storage in one call: POST /service/v1/volumes/rosters for a class of students, against the same students
// through the single routes as MOOP's bootstrap calls them (moop-tools tenant.py: POST pvs, GET pvs every second until
// it is no longer Pending, POST pvcs with match, GET pvcs every second until Bound) and against the raw Kubernetes
// calls of an admin (create the volume, create the claim, until Bound), each rosterConcurrency students at a time.
// Each way's wall time, the API server's CPU per student (its idle rate subtracted), and the roster handler's memory,
// in a fresh process of its own as Lambda would run it. Goals: a class of 500 inside one invocation (28 s) with room
// to spare; the API server's CPU per student no higher than the single routes'. Everything made is removed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { Deps } from '../lib/app/deps.ts';
import { renderClaim } from '../lib/claims/render.ts';
import { KubeClient } from '../lib/kube/client.ts';
import { loadKubeconfig } from '../lib/kube/kubeconfig.ts';
import { ownerSelector } from '../lib/ownership/ownership.ts';
import { rosterConcurrency } from '../lib/provisioning/roster.ts';
import type { TenantScope } from '../lib/tenants/scope.ts';
import { reservationRefs, volumeRefs } from '../lib/volumes/key.ts';
import { renderVolume } from '../lib/volumes/render.ts';
import type { BenchContext } from './context.ts';
import { rawClient } from './routes.ts';
import { cpuMs, lastLine, round, runNode } from './stats.ts';

/** One way of provisioning a class: its wall time, the API server's CPU per student, and the claims Bound. */
export interface RosterWay {
  wallMs: number;
  apiCpuMsPerStudent: number;
  bound: number;
}

/** The roster call, in a process of its own: also the handler's time, its answer's counts and its memory. */
export interface RosterCall extends RosterWay {
  handlerMs: number;
  summary: Record<string, number>;
  rssBeforeMiB: number;
  peakRssMiB: number;
}

export interface RosterRun {
  students: number;
  /** The API server's CPU while idle, ms per second, measured before the run and subtracted from each way's. */
  idleCpuMsPerSecond: number;
  roster: RosterCall;
  single: RosterWay;
  raw: RosterWay;
  /** Another class in one roster call with wait 0, last: the service's own work, without the wait for binding. */
  makeOnly: { handlerMs: number; peakRssMiB: number };
}

export interface RosterResult {
  concurrency: number;
  runs: RosterRun[];
}

interface Student {
  username: string;
  path: string;
}

interface RosterSetup {
  ctx: BenchContext;
  deps: Deps;
  outDir: string;
  log: (l: string) => void;
}

/** Each class size, the three ways in turn, everything removed after each size. */
export async function rosterSection(setup: RosterSetup, sizes: number[]): Promise<RosterResult> {
  const runs: RosterRun[] = [];
  for (const size of sizes) {
    const classes = {
      roster: classOf(setup, 'r', size),
      single: classOf(setup, 's', size),
      raw: classOf(setup, 'k', size),
      makeOnly: classOf(setup, 'z', size),
    };
    try {
      runs.push(await runSize(setup, size, classes));
    } finally {
      await removeClasses(setup, Object.values(classes));
    }
  }
  return { concurrency: rosterConcurrency, runs };
}

async function runSize(
  setup: RosterSetup,
  size: number,
  classes: Record<'roster' | 'single' | 'raw' | 'makeOnly', Student[]>,
): Promise<RosterRun> {
  const pid = setup.ctx.apiServerPid;
  const idle = await idleRate(pid);
  setup.log(`[bench] roster: ${size} students in one roster call`);
  const roster = await rosterCall(setup, classes.roster, idle);
  setup.log(`[bench] roster: ${size} students through the single routes (${roster.wallMs} ms for the roster)`);
  const single = await measured(pid, idle, size, () => singleRoutes(setup, classes.single));
  setup.log(`[bench] roster: ${size} students as raw calls (${single.wallMs} ms through the single routes)`);
  const raw = await measured(pid, idle, size, () => rawCalls(setup, classes.raw));
  setup.log(`[bench] roster: ${size} students in one roster call that does not wait (${raw.wallMs} ms as raw calls)`);
  const made = await childCall(setup, classes.makeOnly, 0);
  // Bound before the removal: the PV controller's queue left full would slow the next size's binding.
  await untilAllBound(setup, classes.makeOnly);
  const makeOnly = { handlerMs: made.handlerMs, peakRssMiB: made.peakRssMiB };
  return { students: size, idleCpuMsPerSecond: round(idle * 1000), roster, single, raw, makeOnly };
}

/** A class of size students for one way (r, s, k), each in their own folder of the tenant's. */
function classOf(setup: RosterSetup, way: string, size: number): Student[] {
  return Array.from({ length: size }, (_, i) => {
    const username = `bench-roster-${way}${size}-${i}`;
    return { username, path: `${setup.ctx.tenant.namespace}/bench/roster/${username}` };
  });
}

/** The API server's CPU while nothing is asked of it, ms per ms, over a few seconds. */
async function idleRate(pid: number, ms = 3000): Promise<number> {
  const before = cpuMs(pid);
  await sleep(ms);
  return (cpuMs(pid) - before) / ms;
}

/** work's wall time, and the API server's CPU per student over it, the idle rate subtracted. */
async function measured(pid: number, idle: number, students: number, work: () => Promise<number>): Promise<RosterWay> {
  const cpuBefore = cpuMs(pid);
  const started = performance.now();
  const bound = await work();
  const wallMs = Math.round(performance.now() - started);
  const cpu = cpuMs(pid) - cpuBefore - idle * wallMs;
  return { wallMs, apiCpuMsPerStudent: round(Math.max(0, cpu) / students), bound };
}

type ChildAnswer = Omit<RosterCall, keyof RosterWay> & {
  status: number;
  bound: number;
  problems: unknown;
  body: unknown;
};

/**
 * The roster call in a fresh process, then, as the other ways do, a wait until every claim is Bound (wallMs); fails
 * unless the call made every student's storage. bound: the claims the call itself saw Bound within its wait.
 */
async function rosterCall(setup: RosterSetup, students: Student[], idle: number): Promise<RosterCall> {
  let answer: ChildAnswer | undefined;
  const way = await measured(setup.ctx.apiServerPid, idle, students.length, async () => {
    const a = (answer = await childCall(setup, students, 25));
    if (a.bound < students.length)
      setup.log(`[bench] roster: ${a.bound} of ${students.length} Bound within the call; waiting for the rest`);
    await untilAllBound(setup, students);
    return a.bound;
  });
  const { handlerMs, summary, rssBeforeMiB, peakRssMiB } = answer!;
  return { ...way, handlerMs, summary, rssBeforeMiB, peakRssMiB };
}

/** One roster call of students, waiting `wait` seconds, in a fresh process; throws unless it made every student's. */
async function childCall(setup: RosterSetup, students: Student[], wait: number): Promise<ChildAnswer> {
  const bodyFile = join(setup.outDir, 'roster-body.json');
  writeFileSync(bodyFile, JSON.stringify({ tenant: setup.ctx.tenant.id, students, wait }));
  const a = (await runChild(bodyFile, setup.ctx.env)) as ChildAnswer;
  if (a.status !== 200 || a.summary.created !== students.length)
    throw new Error(
      `roster of ${students.length}: answered ${a.status}, ${JSON.stringify(a.summary ?? a.body)}; e.g. ${JSON.stringify(a.problems)}`,
    );
  return a;
}

/** Waits until every student's claim is Bound, as the raw calls' wait does. */
async function untilAllBound(setup: RosterSetup, students: Student[]): Promise<void> {
  const scope = await setup.deps.scope(setup.ctx.tenant.id);
  const raw = rawClient(setup.ctx.adminKubeconfig);
  const bound = boundWatch(raw, scope.namespace, ownerSelector({ tenant: scope.tenant.id }));
  try {
    await Promise.all(students.map((s) => bound.until(objectsOf(scope, s).claim.metadata!.name!)));
  } finally {
    await bound.stop();
    raw.close();
  }
}

async function runChild(bodyFile: string, env: Record<string, string>): Promise<unknown> {
  const script = join(import.meta.dirname, 'roster-child.ts');
  const childEnv = { ...process.env, ...env, TENANT_SERVICE_URL: '' };
  return lastLine((await runNode([script, bodyFile], childEnv, "the roster's process")).out);
}

/** What a GET answered, read until `done` says so (every second, as MOOP's bootstrap does); any other status throws. */
async function pollEverySecond(url: URL, moopkey: string, done: (body: any) => boolean): Promise<void> {
  for (const giveUpAt = Date.now() + 300_000; ; ) {
    const response = await fetch(url, { headers: { moopkey } });
    const body = (await response.json()) as any;
    if (response.status !== 200)
      throw new Error(`GET ${url.pathname} answered ${response.status}: ${JSON.stringify(body)}`);
    if (done(body)) return;
    if (Date.now() > giveUpAt)
      throw new Error(`GET ${url.pathname}: gave up after 300 s, ${JSON.stringify(body.status)}`);
    await sleep(1000);
  }
}

/** One student as MOOP's bootstrap makes a volume and its match claim, over HTTP through serverless-offline. */
async function singleStudent(setup: RosterSetup, s: Student): Promise<void> {
  const base = `${setup.ctx.offline.url}/service/v1/volumes`;
  const moopkey = setup.ctx.env.MOOPKEY!;
  const q = { tenant: setup.ctx.tenant.id, username: s.username };
  const post = async (route: string, body: unknown): Promise<void> => {
    const response = await fetch(`${base}/${route}`, {
      method: 'POST',
      headers: { moopkey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`POST ${route} answered ${response.status}: ${await response.text()}`);
  };
  const at = (route: string) => new URL(`${base}/${route}?${new URLSearchParams(q)}`);
  await post('pvs', { ...q, path: s.path });
  await pollEverySecond(at('pvs'), moopkey, (b) => b.status?.phase !== undefined && b.status.phase !== 'Pending');
  await post('pvcs', { ...q, match: true });
  await pollEverySecond(at('pvcs'), moopkey, (b) => b.status?.phase === 'Bound');
}

async function singleRoutes(setup: RosterSetup, students: Student[]): Promise<number> {
  const limit = pLimit(rosterConcurrency);
  await Promise.all(students.map((s) => limit(() => singleStudent(setup, s))));
  return students.length;
}

/** The volume and match claim the service makes for a student, as an admin makes them raw. */
function objectsOf(scope: TenantScope, s: Student) {
  const key = { username: s.username, tag: 'default' };
  const claimName = reservationRefs(scope, key)[0]!.name;
  return {
    volume: renderVolume(scope, { ...key, path: s.path }, { name: volumeRefs(scope, key)[0]!.name, claimName }),
    claim: renderClaim(scope, { ...key, match: true }, claimName),
  };
}

async function rawCalls(setup: RosterSetup, students: Student[]): Promise<number> {
  const scope = await setup.deps.scope(setup.ctx.tenant.id);
  const raw = rawClient(setup.ctx.adminKubeconfig, rosterConcurrency + 1);
  const ns = scope.namespace;
  const bound = boundWatch(raw, ns, ownerSelector({ tenant: scope.tenant.id }));
  const limit = pLimit(rosterConcurrency);
  try {
    await Promise.all(
      students.map((s) =>
        limit(async () => {
          const { volume, claim } = objectsOf(scope, s);
          await raw.call('POST', '/api/v1/persistentvolumes', volume);
          await raw.call('POST', `/api/v1/namespaces/${ns}/persistentvolumeclaims`, claim);
          await bound.until(claim.metadata!.name!);
        }),
      ),
    );
  } finally {
    bound.stop();
    raw.close();
  }
  return students.length;
}

/**
 * Claims awaited until Bound: one list of the tenant's claims (the watch cache) every 500 ms while any is awaited,
 * as the roster's own wait does, never a read per claim.
 */
function boundWatch(raw: ReturnType<typeof rawClient>, ns: string, selector: string) {
  const waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void; giveUpAt: number }>();
  let stopped = false;
  const path = `/api/v1/namespaces/${ns}/persistentvolumeclaims?resourceVersion=0&labelSelector=${encodeURIComponent(selector)}`;
  const poll = async (): Promise<void> => {
    while (!stopped) {
      await sleep(500);
      if (waiting.size === 0) continue;
      const list = await raw.call<{ items: { metadata: { name: string }; status?: { phase?: string } }[] }>(
        'GET',
        path,
      );
      for (const c of list.items) {
        if (c.status?.phase === 'Bound') waiting.get(c.metadata.name)?.resolve();
        if (c.status?.phase === 'Bound') waiting.delete(c.metadata.name);
      }
      for (const [name, w] of waiting)
        if (Date.now() > w.giveUpAt) w.reject(new Error(`raw calls: claim ${name} not Bound after 300 s`));
    }
  };
  const polling = poll().catch((err: Error) => {
    for (const w of waiting.values()) w.reject(err);
  });
  return {
    until: (name: string) =>
      new Promise<void>((resolve, reject) => waiting.set(name, { resolve, reject, giveUpAt: Date.now() + 300_000 })),
    stop: () => {
      stopped = true;
      return polling;
    },
  };
}

/**
 * Every class's claims, then volumes, deleted by an admin (404s ignored) and their protection finalizers taken off
 * (the protection controllers would take minutes, 20 writes a second here), then awaited until gone.
 */
async function removeClasses(setup: RosterSetup, classes: Student[][]): Promise<void> {
  const scope = await setup.deps.scope(setup.ctx.tenant.id);
  const objects = classes.flat().map((s) => objectsOf(scope, s));
  const admin = new KubeClient(loadKubeconfig({ file: setup.ctx.adminKubeconfig }), { timeoutMs: 30_000 });
  const limit = pLimit(16);
  const unfinalized = { metadata: { finalizers: null } };
  const remove = (path: string) =>
    limit(async () => {
      await admin.request({ method: 'DELETE', path }).catch(() => undefined);
      const patch = { method: 'PATCH', path, contentType: 'application/merge-patch+json', body: unfinalized } as const;
      await admin.request(patch).catch(() => undefined);
    });
  try {
    const claims = `/api/v1/namespaces/${scope.namespace}/persistentvolumeclaims`;
    await Promise.all(objects.map((o) => remove(`${claims}/${o.claim.metadata!.name}`)));
    await Promise.all(objects.map((o) => remove(`/api/v1/persistentvolumes/${o.volume.metadata!.name}`)));
  } finally {
    await admin.close();
  }
  await untilGone(setup, classes.flat());
}

/** Waits until none of the students' volumes and claims is left, at most five minutes. */
async function untilGone(setup: RosterSetup, students: Student[]): Promise<void> {
  const scope = await setup.deps.scope(setup.ctx.tenant.id);
  const names = new Set(students.flatMap((s) => Object.values(objectsOf(scope, s)).map((o) => o.metadata!.name!)));
  const admin = rawClient(setup.ctx.adminKubeconfig);
  const selector = encodeURIComponent(ownerSelector({ tenant: scope.tenant.id }));
  type List = { items: { metadata: { name: string } }[] };
  try {
    for (const giveUpAt = Date.now() + 300_000; ; ) {
      const [pvs, pvcs] = await Promise.all([
        admin.call<List>('GET', `/api/v1/persistentvolumes?labelSelector=${selector}`),
        admin.call<List>(
          'GET',
          `/api/v1/namespaces/${scope.namespace}/persistentvolumeclaims?labelSelector=${selector}`,
        ),
      ]);
      const left = [...pvs.items, ...pvcs.items].filter((o) => names.has(o.metadata.name)).length;
      if (left === 0) return;
      if (Date.now() > giveUpAt) throw new Error(`roster: ${left} volumes and claims still there after five minutes`);
      await sleep(1000);
    }
  } finally {
    admin.close();
  }
}

/** The printed table, each figure beside its goal. */
export function printRoster(r: RosterResult): string[] {
  const widths = [9, 32, 7, 13, 14, 19, 20];
  const pad = (cells: (string | number)[]): string => cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  const out = [
    '',
    `8. A class's storage (volume + match claim each): one roster call, MOOP's single routes, raw calls; ${r.concurrency} students at a time`,
    pad(['students', 'way', 'call s', 'all Bound s', 'Bound in call', 'API CPU ms/student', 'Lambda RSS MiB']),
  ];
  const s = (ms: number) => (ms / 1000).toFixed(1);
  for (const run of r.runs) {
    const { roster, single, raw } = run;
    const lambda = `${roster.rssBeforeMiB} -> peak ${roster.peakRssMiB}`;
    out.push(
      pad([
        run.students,
        'roster (one call)',
        s(roster.handlerMs),
        s(roster.wallMs),
        roster.bound,
        roster.apiCpuMsPerStudent,
        lambda,
      ]),
      pad(['', 'single routes (HTTP, 1 s polls)', '-', s(single.wallMs), '-', single.apiCpuMsPerStudent, '-']),
      pad(['', 'raw calls (admin)', '-', s(raw.wallMs), '-', raw.apiCpuMsPerStudent, '-']),
      pad([
        '',
        'roster, wait 0 (making only)',
        s(run.makeOnly.handlerMs),
        '-',
        '-',
        '-',
        `peak ${run.makeOnly.peakRssMiB}`,
      ]),
    );
  }
  out.push(...rosterGoals(r));
  return out;
}

function rosterGoals(r: RosterResult): string[] {
  const largest = r.runs.at(-1)!;
  const { handlerMs, bound } = largest.roster;
  const inTime = handlerMs <= 20_000 && bound === largest.students ? 'ok' : 'MISSED';
  const cpu = r.runs.map(
    (run) =>
      `${run.students}: ${run.roster.apiCpuMsPerStudent} vs ${run.single.apiCpuMsPerStudent} ${run.roster.apiCpuMsPerStudent <= run.single.apiCpuMsPerStudent ? 'ok' : 'OVER'}`,
  );
  return [
    `   goal: a class of 500 inside one invocation (28 s) with room to spare (<= 20 s, every claim Bound): ${largest.students} students, call ${(handlerMs / 1000).toFixed(1)} s, ${bound} Bound in it (${inTime}); made without waiting in ${(largest.makeOnly.handlerMs / 1000).toFixed(1)} s`,
    `   goal: API-server CPU per student <= the single routes' (roster vs single, ms, idle rate subtracted): ${cpu.join('; ')}`,
    "   all Bound: until every claim is Bound (the roster: from its process's start, its call, then the raw calls' wait); Lambda RSS: the roster handler's process loaded, and its peak",
  ];
}
