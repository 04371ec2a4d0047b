// POST /service/v1/volumes/pvs: the tenant's NFS PersistentVolume for a user and tag, reserved for their claim.
import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';
import { createVolume } from '../../../lib/volumes/volumes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.createVolume, async ({ input }) =>
    createVolume(await deps.scope(input.tenant), input),
  );
}

export const handler = createHandler();
