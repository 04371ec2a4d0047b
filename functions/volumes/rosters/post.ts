// POST /service/v1/volumes/rosters: a class's volumes and match claims in one call, a few students at a time, with one
// result per student; those not reached before the invocation's end are answered as not attempted. An
// Idempotency-Key header makes a retried request answer the first one's outcome.
import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { answerMarginMs, routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';
import { askToBeTold } from '../../../lib/notices/requests.ts';
import { provisionRoster } from '../../../lib/provisioning/roster.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.provisionRoster, async ({ input, inputHeaders }, context) => {
    const deadline = Date.now() + (context.getRemainingTimeInMillis?.() ?? Infinity) - 2 * answerMarginMs;
    const scope = await deps.scope(input.tenant);
    const { notify } = input;
    return provisionRoster(scope, input, {
      deadline,
      idempotencyKey: inputHeaders['idempotency-key'],
      tell: notify ? (claims) => askToBeTold(scope, deps.publisher(), notify, claims) : undefined,
    });
  });
}

export const handler = createHandler();
