// DELETE /service/v1/pods?tenant&name: deletes the tenant's Pod, or its Job (the garbage collector removes the Job's
// pods).
import { type Deps, productionDeps } from '../../lib/app/deps.ts';
import { deleteCopy } from '../../lib/copies/copies.ts';
import { routeHandler } from '../../lib/http/handler.ts';
import { routes } from '../../lib/http/routes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.deleteCopy, async ({ input }) => deleteCopy(await deps.scope(input.tenant), input));
}

export const handler = createHandler();
