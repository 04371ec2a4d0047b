// Run in a fresh Node process by operations.ts: one invocation of a class operation's handler as Lambda calls it (28 s
// left): POST /service/v1/operations/distributions or /collections (the request's body and Idempotency-Key from a
// file), or GET /service/v1/operations (tenant and id). Prints its status, how long the handler took, the Kubernetes
// calls it made by verb and resource (discovery included: a fresh process has none cached), what its answer holds, and
// the process's memory loaded and at its peak.
import { readFileSync } from 'node:fs';
import { createHandler as startCollection } from '../functions/operations/collections/post.ts';
import { createHandler as startDistribution } from '../functions/operations/distributions/post.ts';
import { createHandler as readOperation } from '../functions/operations/get.ts';
import { depsFrom } from '../lib/app/deps.ts';
import { loadConfig } from '../lib/config/config.ts';
import type { Operation } from '../lib/operations/schemas.ts';
import { httpEvent, invokeHttp, lambdaContext } from '../tools/lambda.ts';
import { countCalls } from './kube-calls.ts';

type What = 'distribution' | 'collection' | 'read';
const [what, inputFile] = process.argv.slice(2) as [What, string];
const input = JSON.parse(readFileSync(inputFile, 'utf8')) as {
  body?: unknown;
  idempotencyKey?: string;
  query?: Record<string, string>;
};

const deps = depsFrom(() => loadConfig(process.env));
// The handler's own client (one per kubeconfig): every request it sends is counted.
const kube = await deps.kube();
const calls: Record<string, number> = {};
countCalls(kube, calls);

const routes = {
  distribution: { handler: startDistribution(deps), method: 'POST', path: '/service/v1/operations/distributions' },
  collection: { handler: startCollection(deps), method: 'POST', path: '/service/v1/operations/collections' },
  read: { handler: readOperation(deps), method: 'GET', path: '/service/v1/operations' },
}[what];
const event = httpEvent(routes.method, routes.path, process.env.MOOPKEY!, { body: input.body, query: input.query });
if (input.idempotencyKey) event.headers['idempotency-key'] = input.idempotencyKey;

const rssBeforeMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
const started = performance.now();
const context = { ...lambdaContext, getRemainingTimeInMillis: () => 28_000 - (performance.now() - started) };
const answer = await invokeHttp<Operation>(routes.handler, event, context);
const handlerMs = Math.round(performance.now() - started);
const ok = answer.status === 200 || answer.status === 202;
const op = answer.body;
process.stdout.write(
  `${JSON.stringify({
    status: answer.status,
    handlerMs,
    calls,
    answerKiB: Math.round(Buffer.byteLength(JSON.stringify(op)) / 102.4) / 10,
    ...(ok
      ? {
          id: op.id,
          state: op.state,
          students: op.students.length,
          copies: op.copies.length,
          perCopy: [...new Set(op.copies.map((c) => c.students))],
          summary: op.summary,
          reasons: [...new Set(op.students.flatMap((s) => (s.reason ? [s.reason.code] : [])))],
        }
      : { body: op }),
    rssBeforeMiB,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
process.exit(0);
