// GET /service/v1/volumes/pvcs?tenant&username&tag: the user's claim; if not Bound, `pendingReason` says why.
import middy from '@middy/core';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { pendingReason } from '../../../lib/claims.ts';
import { productionDeps, type Deps } from '../../../lib/deps.ts';
import { json, type Result } from '../../../lib/http/response.ts';
import { httpStack, routeTiming } from '../../../lib/http/stack.ts';
import type { RouteEvent } from '../../../lib/http/validate.ts';
import { getOwned } from '../../../lib/owned.ts';
import { claimRefs, volumeOwner } from '../../../lib/render/volumes.ts';
import { VolumeQuery } from '../../../lib/schemas/volumes.ts';
import { tenantNamespace } from '../../../lib/tenants/tenant.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<VolumeQuery>, Result>(routeTiming)
    .use(httpStack(deps, { query: VolumeQuery }))
    .handler(async ({ input }) => {
      const tenant = await deps.tenants().get(input.tenant);
      const resources = await deps.resources();
      const claim = await getOwned<V1PersistentVolumeClaim>(resources, claimRefs(tenant, input, tenantNamespace(tenant)), volumeOwner(input));
      const pending = await pendingReason(resources, claim);
      return json(200, pending ? { ...claim, pendingReason: pending } : claim);
    });
}

export const handler = createHandler();
