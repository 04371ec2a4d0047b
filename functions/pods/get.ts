// GET /service/v1/pods?tenant&name: the tenant's Pod or Job with its status, and why it is stuck or failed if it is.
import { type Deps, productionDeps } from '../../lib/app/deps.ts';
import { readCopy } from '../../lib/copies/copies.ts';
import { routeHandler } from '../../lib/http/handler.ts';
import { routes } from '../../lib/http/routes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.getCopy, async ({ input }) => readCopy(await deps.scope(input.tenant), input));
}

export const handler = createHandler();
