// GET /service/v1/pods?tenant&name: the tenant's Pod or Job with its status, and why it is stuck or failed if it is.
import { type Deps, productionDeps } from '../../lib/deps.ts';
import { routeHandler } from '../../lib/http/stack.ts';
import { readCopy } from '../../lib/pods.ts';
import { routes } from '../../lib/routes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.getJob, async ({ input }) => readCopy(await deps.scope(input.tenant), input));
}

export const handler = createHandler();
