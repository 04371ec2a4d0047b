// GET /service/v1/volumes/pvs?tenant&username&tag: the PersistentVolume of that user and tag, if it is theirs.
import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';
import { readVolume } from '../../../lib/volumes/volumes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.getVolume, async ({ input }) => readVolume(await deps.scope(input.tenant), input));
}

export const handler = createHandler();
