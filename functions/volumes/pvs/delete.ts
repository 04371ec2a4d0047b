// DELETE /service/v1/volumes/pvs?tenant&username&tag: deletes that user's PersistentVolume (the NFS data stays).
import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';
import { deleteVolume } from '../../../lib/volumes/volumes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.deleteVolume, async ({ input }) =>
    deleteVolume(await deps.scope(input.tenant), input),
  );
}

export const handler = createHandler();
