// Run in a fresh Node process by snapshots.ts: GET /service/v1/snapshots as Lambda calls it (28 s left each time), a
// page, or up to `pages` pages in turn, each following the last one's continue, as a warm function would answer a
// caller walking them (the query and the first continue from a file). Prints the status, how long the handler took
// (each page's and their sum), the Kubernetes calls it made by verb and resource (discovery included: a fresh process
// has none cached), what the pages hold (their items, whether all distinct, the student's own and newest first), the
// continue after each page, and the process's memory loaded and at its peak.
import { readFileSync } from 'node:fs';
import { createHandler as listSnapshots } from '../functions/snapshots/get.ts';
import { depsFrom } from '../lib/app/deps.ts';
import { loadConfig } from '../lib/config/config.ts';
import type { Snapshot } from '../lib/snapshots/schemas.ts';
import { httpEvent, invokeHttp, lambdaContext } from '../tools/lambda.ts';
import { countCalls } from './kube-calls.ts';

const [inputFile] = process.argv.slice(2) as [string];
const input = JSON.parse(readFileSync(inputFile, 'utf8')) as {
  query: { tenant: string; username: string; tag: string; limit: string };
  continue?: string;
  /** Pages to ask for at most; every page until the last without it. */
  pages?: number;
};

const deps = depsFrom(() => loadConfig(process.env));
// The handler's own client (one per kubeconfig): every request it sends is counted.
const kube = await deps.kube();
const calls: Record<string, number> = {};
countCalls(kube, calls);
const handler = listSnapshots(deps);

/** Newest first, then by id: a before b. */
const before = (a: Snapshot, b: Snapshot): boolean => {
  const [x, y] = [Date.parse(a.takenAt ?? a.requestedAt), Date.parse(b.takenAt ?? b.requestedAt)];
  return x > y || (x === y && a.id < b.id);
};

const rssBeforeMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
const pageMs: number[] = [];
const tokens: string[] = [];
const ids = new Set<string>();
let items = 0;
let ordered = true;
let ownOnly = true;
let answerKiB = 0;
let status = 200;
let failure: unknown;
let last: Snapshot | undefined;
let token = input.continue;
do {
  const query = { ...input.query, ...(token ? { continue: token } : {}) };
  const event = httpEvent('GET', '/service/v1/snapshots', process.env.MOOPKEY!, { query });
  const started = performance.now();
  const context = { ...lambdaContext, getRemainingTimeInMillis: () => 28_000 - (performance.now() - started) };
  const answer = await invokeHttp<{ items: Snapshot[]; continue?: string }>(handler, event, context);
  pageMs.push(performance.now() - started);
  status = answer.status;
  if (status !== 200) {
    failure = answer.body;
    break;
  }
  answerKiB = Math.max(answerKiB, Buffer.byteLength(JSON.stringify(answer.body)) / 1024);
  for (const s of answer.body.items) {
    if (last && !before(last, s)) ordered = false;
    if (s.username !== input.query.username || s.tag !== input.query.tag || s.state !== 'Succeeded') ownOnly = false;
    ids.add(s.id);
    last = s;
  }
  items += answer.body.items.length;
  token = answer.body.continue;
  if (token) tokens.push(token);
} while (token && pageMs.length < (input.pages ?? Number.POSITIVE_INFINITY));

process.stdout.write(
  `${JSON.stringify({
    status,
    ...(failure === undefined ? {} : { body: failure }),
    pages: pageMs.length,
    handlerMs: Math.round(pageMs.reduce((a, b) => a + b, 0)),
    slowestMs: Math.round(Math.max(...pageMs)),
    calls,
    answerKiB: Math.round(answerKiB * 10) / 10,
    items,
    distinct: ids.size,
    ordered,
    ownOnly,
    continued: token !== undefined,
    tokens,
    rssBeforeMiB,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
process.exit(0);
