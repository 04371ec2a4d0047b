// POST /service/v1/volumes/rosters/removals: end of term. A class's claims, then volumes, removed in one call with one
// result per student (409 for a claim pods still mount, unless forced). The NFS data stays.
import { type Deps, productionDeps } from '../../../../lib/app/deps.ts';
import { answerMarginMs, routeHandler } from '../../../../lib/http/handler.ts';
import { routes } from '../../../../lib/http/routes.ts';
import { removeRoster } from '../../../../lib/provisioning/roster.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.removeRoster, async ({ input, inputHeaders }, context) => {
    const deadline = Date.now() + (context.getRemainingTimeInMillis?.() ?? Infinity) - 2 * answerMarginMs;
    return removeRoster(await deps.scope(input.tenant), input, {
      deadline,
      idempotencyKey: inputHeaders['idempotency-key'],
    });
  });
}

export const handler = createHandler();
