// GET /service/v1/volumes/pvcs?tenant&username&tag: the user's claim; if not Bound, `pendingReason` says why.
import { readClaim } from '../../../lib/claims.ts';
import { type Deps, productionDeps } from '../../../lib/deps.ts';
import { routeHandler } from '../../../lib/http/stack.ts';
import { routes } from '../../../lib/routes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.getClaim, async ({ input }) => readClaim(await deps.scope(input.tenant), input));
}

export const handler = createHandler();
