// GET /service/v1/inventory/pods?tenant[&state][&limit][&continue]: the tenant's copies (Pods and Jobs), their states
// and why the failed or stuck ones are, read from the API server's watch cache a page at a time.
import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';
import { listCopies } from '../../../lib/inventory/copies.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.copyInventory, async ({ input }) =>
    listCopies(await deps.scope(input.tenant), input),
  );
}

export const handler = createHandler();
