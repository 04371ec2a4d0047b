// POST /service/v1/volumes/pvcs: the user's claim in the tenant's namespace; with match, it selects their PV. A plain
// claim of a user who has an NFS volume is refused (409); a claim made again rebinds the user's Released volume at once.
import { createClaim } from '../../../lib/claims.ts';
import { type Deps, productionDeps } from '../../../lib/deps.ts';
import { routeHandler } from '../../../lib/http/stack.ts';
import { routes } from '../../../lib/routes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.createClaim, async ({ input }) => createClaim(await deps.scope(input.tenant), input));
}

export const handler = createHandler();
