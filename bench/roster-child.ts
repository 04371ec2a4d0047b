// Run in a fresh Node process by roster.ts: one POST /service/v1/volumes/rosters invocation of the roster handler, as
// Lambda calls it (28 s left), then its answer's counts, how long it took and the process's memory before and at peak.
import { readFileSync } from 'node:fs';
import { createHandler } from '../functions/volumes/rosters/post.ts';
import { depsFrom } from '../lib/app/deps.ts';
import { loadConfig } from '../lib/config/config.ts';
import { httpEvent, invokeHttp, lambdaContext } from '../tools/lambda.ts';

const [bodyFile] = process.argv.slice(2) as [string];
const body = JSON.parse(readFileSync(bodyFile, 'utf8')) as { students: unknown[] };
const handler = createHandler(depsFrom(() => loadConfig(process.env)));
const event = httpEvent('POST', '/service/v1/volumes/rosters', process.env.MOOPKEY!, { body });
const rssBeforeMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
const started = performance.now();
const context = { ...lambdaContext, getRemainingTimeInMillis: () => 28_000 - (performance.now() - started) };
const answer = await invokeHttp<{
  summary: Record<string, number>;
  results: { status: string; bound?: boolean; code?: string; message?: string }[];
}>(handler, event, context);
const handlerMs = Math.round(performance.now() - started);
const results = answer.body.results ?? [];
process.stdout.write(
  `${JSON.stringify({
    status: answer.status,
    handlerMs,
    summary: answer.body.summary,
    bound: results.filter((r) => r.bound).length,
    problems: results.filter((r) => r.code).slice(0, 3),
    body: answer.status === 200 ? undefined : answer.body,
    rssBeforeMiB,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
process.exit(0);
