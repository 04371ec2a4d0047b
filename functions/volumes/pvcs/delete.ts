// DELETE /service/v1/volumes/pvcs?tenant&username&tag[&force=true]: deletes the user's claim unless pods still mount it.
import { deleteClaim } from '../../../lib/claims.ts';
import { type Deps, productionDeps } from '../../../lib/deps.ts';
import { routeHandler } from '../../../lib/http/stack.ts';
import { routes } from '../../../lib/routes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.deleteClaim, async ({ input }) => deleteClaim(await deps.scope(input.tenant), input));
}

export const handler = createHandler();
