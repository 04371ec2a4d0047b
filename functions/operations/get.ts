// GET /service/v1/operations?tenant=&id=: a class operation as it stands, each student's result read from the copies.
import { type Deps, productionDeps } from '../../lib/app/deps.ts';
import { routeHandler } from '../../lib/http/handler.ts';
import { routes } from '../../lib/http/routes.ts';
import { readOperation } from '../../lib/operations/operations.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.getOperation, async ({ input }) =>
    readOperation(await deps.scope(input.tenant), input),
  );
}

export const handler = createHandler();
