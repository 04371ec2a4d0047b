// DELETE /service/v1/volumes/pvcs?tenant&username&tag[&force=true]: deletes the user's claim unless pods still mount it.
import middy from '@middy/core';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { assertClaimUnused } from '../../../lib/claims.ts';
import { productionDeps, type Deps } from '../../../lib/deps.ts';
import { json, type Result } from '../../../lib/http/response.ts';
import { httpStack } from '../../../lib/http/stack.ts';
import type { RouteEvent } from '../../../lib/http/validate.ts';
import { deleteOwned, getOwned } from '../../../lib/owned.ts';
import { claimRefs, volumeOwner } from '../../../lib/render/volumes.ts';
import { DeleteClaimQuery } from '../../../lib/schemas/volumes.ts';
import { tenantNamespace } from '../../../lib/tenants/tenant.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<DeleteClaimQuery>, Result>()
    .use(httpStack(deps, { query: DeleteClaimQuery }))
    .handler(async ({ input }) => {
      const tenant = await deps.tenants().get(input.tenant);
      const resources = await deps.resources();
      const claim = await getOwned<V1PersistentVolumeClaim>(resources, claimRefs(tenant, input, tenantNamespace(tenant)), volumeOwner(input));
      await assertClaimUnused(resources, claim, input.force);
      return json(200, { deleted: await deleteOwned(resources, claim) });
    });
}

export const handler = createHandler();
