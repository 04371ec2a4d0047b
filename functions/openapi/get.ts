// GET /service/v1/openapi.json: the OpenAPI 3.1 document of every route, generated from the schemas they validate with.
import middy from '@middy/core';
import { productionDeps, type Deps } from '../../lib/deps.ts';
import { openApiDocument } from '../../lib/http/openapi.ts';
import { json, type Result } from '../../lib/http/response.ts';
import { httpStack, routeTiming } from '../../lib/http/stack.ts';
import type { RouteEvent } from '../../lib/http/validate.ts';

export function createHandler(deps: Deps = productionDeps) {
  let document: unknown;
  return middy<RouteEvent<unknown>, Result>(routeTiming)
    .use(httpStack(deps))
    .handler(async () => json(200, (document ??= openApiDocument())));
}

export const handler = createHandler();
