// POST /service/v1/pods: a copy Pod or Job (the kind the tenant's pod template names), mounting the named claims;
// optionally waits for it to finish, never past the invocation's time. An Idempotency-Key header makes retries safe.
import middy from '@middy/core';
import { productionDeps, type Deps } from '../../lib/deps.ts';
import { json, type Result } from '../../lib/http/response.ts';
import { answerMarginMs, httpStack, routeTiming } from '../../lib/http/stack.ts';
import { parseInput, type RouteEvent } from '../../lib/http/validate.ts';
import { createCopy } from '../../lib/pods.ts';
import { routes } from '../../lib/routes.ts';
import { CreateJobBody } from '../../lib/schemas/jobs.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<CreateJobBody>, Result>(routeTiming)
    .use(httpStack(deps, { body: CreateJobBody }))
    .handler(async (event, context) => {
      const { input } = event;
      const headers = parseInput(routes.createJob.headers, event.headers, 'headers');
      const tenant = await deps.tenants().get(input.tenant);
      const { JOB_ACTIVE_DEADLINE_SECONDS, JOB_BACKOFF_LIMIT, JOB_RETENTION_SECONDS } = deps.config();
      const settings = { activeDeadlineSeconds: JOB_ACTIVE_DEADLINE_SECONDS, backoffLimit: JOB_BACKOFF_LIMIT, retentionSeconds: JOB_RETENTION_SECONDS };
      // The wait ends early enough for the answer to leave before the invocation's own limit.
      const waitMs = Math.min((input.wait ?? 0) * 1000, (context.getRemainingTimeInMillis?.() ?? Infinity) - 2 * answerMarginMs);
      const copy = await createCopy(await deps.resources(), tenant, input, settings, { idempotencyKey: headers['idempotency-key'], waitMs });
      return json(201, copy);
    });
}

export const handler = createHandler();
