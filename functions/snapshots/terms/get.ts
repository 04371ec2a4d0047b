// GET /service/v1/snapshots/terms?tenant&id: an end of term as it stands, carried on as far as it can be now.
import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';
import { readTerm } from '../../../lib/snapshots/terms.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.getTerm, async ({ input }) => readTerm(await deps.scope(input.tenant), input));
}

export const handler = createHandler();
