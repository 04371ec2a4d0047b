// POST /service/v1/volumes/pvcs: the user's claim in the tenant's namespace; with match, it selects their PV. A plain
// claim of a user who has an NFS volume is refused (409); a claim made again rebinds the user's Released volume at
// once.

import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { createClaim } from '../../../lib/claims/claims.ts';
import { routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.createClaim, async ({ input }) =>
    createClaim(await deps.scope(input.tenant), input),
  );
}

export const handler = createHandler();
