// Run in a fresh Node process by notices.ts: one invocation of the notifier function as the schedule invokes it, with
// the service's own settings (depsFrom, the bench's environment) and its real EventBridge publisher (moto's, through
// AWS_ENDPOINT_URL_EVENTBRIDGE), wrapped to count what it hands over and what EventBridge takes. Prints its summary,
// the eventIds taken, its PutEvents and Kubernetes API calls, how long the run took and the process's peak memory.
import { createHandler } from '../functions/notifier.ts';
import { depsFrom } from '../lib/app/deps.ts';
import type { Publisher } from '../lib/aws/events.ts';
import { metrics } from '../lib/aws/metrics.ts';
import { loadConfig } from '../lib/config/config.ts';
import type { NotifierSummary } from '../lib/notices/notifier.ts';
import { lambdaContext } from '../tools/lambda.ts';

// Every Kubernetes call is observed as a KubernetesApiLatency metric (lib/app/deps.ts): counted here, not kept.
let apiCalls = 0;
metrics.addMetric = (name: string) => {
  if (name === 'KubernetesApiLatency') apiCalls++;
  return metrics;
};

const deps = depsFrom(() => loadConfig(process.env));
const real = deps.publisher();
const eventIds: string[] = [];
let putEvents = 0;
let handed = 0;
const counting: Publisher = {
  async publish(events) {
    handed += events.length;
    putEvents += Math.ceil(events.length / 10);
    const taken = await real.publish(events);
    events.forEach((e, i) => {
      if (taken[i]) eventIds.push((e.detail as { eventId: string }).eventId);
    });
    return taken;
  },
};
const handler = createHandler({ ...deps, publisher: () => counting });
const rssBeforeMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
const started = performance.now();
const context = { ...lambdaContext, functionName: 'notifier', awsRequestId: 'bench' };
let summary: NotifierSummary | undefined;
let error: string | undefined;
try {
  summary = await (handler as (e: unknown, c: unknown) => Promise<NotifierSummary>)({}, context);
} catch (err) {
  error = String((err as Error).message ?? err);
}
process.stdout.write(
  `${JSON.stringify({
    runMs: Math.round(performance.now() - started),
    summary,
    error,
    handed,
    eventIds,
    putEvents,
    apiCalls,
    rssBeforeMiB,
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
process.exit(0);
