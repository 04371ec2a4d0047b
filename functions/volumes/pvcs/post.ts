// POST /service/v1/volumes/pvcs: the user's claim in the tenant's namespace; with match, it selects their PV. A claim
// made again rebinds the user's own Released volume at once.
import middy from '@middy/core';
import { productionDeps, type Deps } from '../../../lib/deps.ts';
import { json, type Result } from '../../../lib/http/response.ts';
import { httpStack } from '../../../lib/http/stack.ts';
import type { RouteEvent } from '../../../lib/http/validate.ts';
import { rebindOwnVolume } from '../../../lib/claims.ts';
import { createOwned } from '../../../lib/owned.ts';
import { renderClaim, volumeOwner } from '../../../lib/render/volumes.ts';
import { CreateClaimBody } from '../../../lib/schemas/volumes.ts';
import { tenantNamespace } from '../../../lib/tenants/tenant.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<CreateClaimBody>, Result>()
    .use(httpStack(deps, { body: CreateClaimBody }))
    .handler(async ({ input }) => {
      const tenant = await deps.tenants().get(input.tenant);
      const claim = renderClaim(tenant, input, tenantNamespace(tenant));
      const resources = await deps.resources();
      const created = await createOwned(resources, claim, volumeOwner(input));
      await rebindOwnVolume(resources, tenant, input, created);
      return json(201, created);
    });
}

export const handler = createHandler();
