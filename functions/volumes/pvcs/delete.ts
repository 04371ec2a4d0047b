// DELETE /service/v1/volumes/pvcs?tenant&username&tag[&force=true]: deletes the user's claim unless pods still mount
// it.

import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { deleteClaim } from '../../../lib/claims/claims.ts';
import { routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.deleteClaim, async ({ input }) =>
    deleteClaim(await deps.scope(input.tenant), input),
  );
}

export const handler = createHandler();
