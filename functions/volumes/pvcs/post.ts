// POST /service/v1/volumes/pvcs: the user's claim in the tenant's namespace; with match, it selects their PV. A plain
// claim of a user who has an NFS volume is refused (409); a claim made again rebinds the user's Released volume at once.
import middy from '@middy/core';
import { createClaim } from '../../../lib/claims.ts';
import { productionDeps, type Deps } from '../../../lib/deps.ts';
import { json, type Result } from '../../../lib/http/response.ts';
import { httpStack, routeTiming } from '../../../lib/http/stack.ts';
import type { RouteEvent } from '../../../lib/http/validate.ts';
import { CreateClaimBody } from '../../../lib/schemas/volumes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<CreateClaimBody>, Result>(routeTiming)
    .use(httpStack(deps, { body: CreateClaimBody }))
    .handler(async ({ input }) => json(201, await createClaim(await deps.resources(), await deps.tenants().get(input.tenant), input)));
}

export const handler = createHandler();
