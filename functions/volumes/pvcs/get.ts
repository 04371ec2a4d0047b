// GET /service/v1/volumes/pvcs?tenant&username&tag: the user's claim; if not Bound, `pendingReason` says why.
import middy from '@middy/core';
import { readClaim } from '../../../lib/claims.ts';
import { productionDeps, type Deps } from '../../../lib/deps.ts';
import { json, type Result } from '../../../lib/http/response.ts';
import { httpStack, routeTiming } from '../../../lib/http/stack.ts';
import type { RouteEvent } from '../../../lib/http/validate.ts';
import { VolumeQuery } from '../../../lib/schemas/volumes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<VolumeQuery>, Result>(routeTiming)
    .use(httpStack(deps, { query: VolumeQuery }))
    .handler(async ({ input }) => json(200, await readClaim(await deps.resources(), await deps.tenants().get(input.tenant), input)));
}

export const handler = createHandler();
