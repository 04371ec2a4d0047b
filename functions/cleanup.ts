// Cleanup, on a schedule or an event: finished Jobs and Released volumes, or everything of a removed tenant.
// Invoke directly with {"action": "scheduled" | "tenant-removed", "tenant"?, "dryRun"?}; answers the run's summary.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { type Deps, productionDeps } from '../lib/app/deps.ts';
import { ownInvocation } from '../lib/aws/invocation.ts';
import { metrics } from '../lib/aws/metrics.ts';
import type { CleanupSummary } from '../lib/cleanup/report.ts';
import { type DroppedEvent, readCleanupEvent } from '../lib/cleanup/request.ts';
import { runCleanup } from '../lib/cleanup/run.ts';

export function createHandler(deps: Deps = productionDeps) {
  const handler = middy<unknown, CleanupSummary | DroppedEvent>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      // A malformed event is answered, not thrown: an asynchronous invocation would only retry what cannot be mended.
      const request = readCleanupEvent(event, deps.logger);
      if ('dropped' in request) return request;
      return runCleanup(
        {
          resources: await deps.resources(),
          tenants: deps.tenants(),
          logger: deps.logger,
          metrics,
          settings: deps.settings().cleanup,
          scope: (tenant) => deps.scope(tenant),
        },
        request,
      );
    });
  return ownInvocation(handler);
}

export const handler = createHandler();
