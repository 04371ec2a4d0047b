// GET /service/v1/inventory/volumes?tenant[&username][&limit][&continue]: the tenant's volumes and claims by user and
// tag, with the copies that mount them, read from the API server's watch cache a page at a time.
import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';
import { listVolumes } from '../../../lib/inventory/volumes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.volumeInventory, async ({ input }) =>
    listVolumes(await deps.scope(input.tenant), input),
  );
}

export const handler = createHandler();
