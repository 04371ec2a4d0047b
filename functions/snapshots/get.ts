// GET /service/v1/snapshots?tenant&username[&tag][&limit][&continue]: a student's snapshots, newest first.
import { type Deps, productionDeps } from '../../lib/app/deps.ts';
import { routeHandler } from '../../lib/http/handler.ts';
import { routes } from '../../lib/http/routes.ts';
import { listSnapshots } from '../../lib/snapshots/snapshots.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.listSnapshots, async ({ input }) =>
    listSnapshots(await deps.scope(input.tenant), input),
  );
}

export const handler = createHandler();
