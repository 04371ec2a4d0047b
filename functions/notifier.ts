// The notifier, every minute (NOTICE_SCHEDULE): tells on EventBridge what asked to be told and has reached an end
// (README, Completion notices). Fails when some events were not taken, so that the run alarms; they go out next run.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { type Deps, productionDeps } from '../lib/app/deps.ts';
import { ownInvocation } from '../lib/aws/invocation.ts';
import { type NotifierSummary, runNotifier } from '../lib/notices/notifier.ts';

export function createHandler(deps: Deps = productionDeps) {
  const handler = middy<unknown, NotifierSummary>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .handler(async () =>
      runNotifier({
        resources: await deps.resources(),
        publisher: deps.publisher(),
        logger: deps.logger,
        settings: deps.settings().notices,
      }),
    );
  return ownInvocation(handler);
}

export const handler = createHandler();
