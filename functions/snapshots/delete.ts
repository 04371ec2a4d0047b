// DELETE /service/v1/snapshots?tenant&username[&tag]&id: one of a student's snapshots, its archive removed by a copy.
import { type Deps, productionDeps } from '../../lib/app/deps.ts';
import { routeHandler } from '../../lib/http/handler.ts';
import { routes } from '../../lib/http/routes.ts';
import { deleteSnapshot } from '../../lib/snapshots/snapshots.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.deleteSnapshot, async ({ input }) =>
    deleteSnapshot(await deps.scope(input.tenant), input),
  );
}

export const handler = createHandler();
