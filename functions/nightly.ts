// The nightly snapshot (SNAPSHOT_NIGHTLY, scheduled by NIGHTLY_SCHEDULE): a snapshot of every student's claim a pod used
// that day (README, Snapshots). Does nothing while SNAPSHOT_NIGHTLY is false.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { type Deps, productionDeps } from '../lib/app/deps.ts';
import { ownInvocation } from '../lib/aws/invocation.ts';
import { type NightlySummary, nightlySnapshots } from '../lib/snapshots/nightly.ts';

export function createHandler(deps: Deps = productionDeps) {
  const handler = middy<unknown, NightlySummary | { enabled: false }>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .handler(async () => {
      if (!deps.settings().snapshots.nightly) return { enabled: false as const };
      return nightlySnapshots({
        resources: await deps.resources(),
        scope: (tenant) => deps.scope(tenant),
        logger: deps.logger,
      });
    });
  return ownInvocation(handler);
}

export const handler = createHandler();
