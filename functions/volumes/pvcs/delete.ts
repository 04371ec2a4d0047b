// DELETE /service/v1/volumes/pvcs?tenant&username&tag[&force=true]: deletes the user's claim unless pods still mount it.
import middy from '@middy/core';
import { deleteClaim } from '../../../lib/claims.ts';
import { productionDeps, type Deps } from '../../../lib/deps.ts';
import { json, type Result } from '../../../lib/http/response.ts';
import { httpStack, routeTiming } from '../../../lib/http/stack.ts';
import type { RouteEvent } from '../../../lib/http/validate.ts';
import { DeleteClaimQuery } from '../../../lib/schemas/volumes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<DeleteClaimQuery>, Result>(routeTiming)
    .use(httpStack(deps, { query: DeleteClaimQuery }))
    .handler(async ({ input }) => json(200, { deleted: await deleteClaim(await deps.resources(), await deps.tenants().get(input.tenant), input) }));
}

export const handler = createHandler();
