// GET /service/v1/openapi.json: the OpenAPI 3.1 document of every route, generated from the route table's schemas.
import { type Deps, productionDeps } from '../../lib/app/deps.ts';
import { routeHandler } from '../../lib/http/handler.ts';
import { openApiDocument } from '../../lib/http/openapi.ts';
import { routes } from '../../lib/http/routes.ts';

export function createHandler(deps: Deps = productionDeps) {
  let document: unknown;
  return routeHandler(deps, routes.openapi, async () => (document ??= openApiDocument()));
}

export const handler = createHandler();
