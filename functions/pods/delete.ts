// DELETE /service/v1/pods?tenant&name: deletes the tenant's Pod, or its Job (the garbage collector removes the Job's pods).
import { type Deps, productionDeps } from '../../lib/deps.ts';
import { routeHandler } from '../../lib/http/stack.ts';
import { deleteCopy } from '../../lib/pods.ts';
import { routes } from '../../lib/routes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.deleteJob, async ({ input }) => deleteCopy(await deps.scope(input.tenant), input));
}

export const handler = createHandler();
