// GET /service/v1/health: 200 when the Kubernetes API server answers and is ready, 503 when it is not.
import { type Deps, productionDeps } from '../../lib/app/deps.ts';
import { checkHealth } from '../../lib/health.ts';
import { routeHandler } from '../../lib/http/handler.ts';
import { routes } from '../../lib/http/routes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.health, async () => checkHealth(await deps.kube()));
}

export const handler = createHandler();
