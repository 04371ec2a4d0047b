// GET /service/v1/volumes/pvcs?tenant&username&tag: the user's claim; if not Bound, `pendingReason` says why.

import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { readClaim } from '../../../lib/claims/claims.ts';
import { routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.getClaim, async ({ input }) => readClaim(await deps.scope(input.tenant), input));
}

export const handler = createHandler();
