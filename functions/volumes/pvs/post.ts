// POST /service/v1/volumes/pvs: the tenant's NFS PersistentVolume for a user and tag, reserved for their claim.
import middy from '@middy/core';
import { productionDeps, type Deps } from '../../../lib/deps.ts';
import { json, type Result } from '../../../lib/http/response.ts';
import { httpStack, routeTiming } from '../../../lib/http/stack.ts';
import type { RouteEvent } from '../../../lib/http/validate.ts';
import { createOwned } from '../../../lib/owned.ts';
import { renderVolume, volumeOwner } from '../../../lib/render/volumes.ts';
import { CreateVolumeBody } from '../../../lib/schemas/volumes.ts';
import { tenantNamespace } from '../../../lib/tenants/tenant.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<CreateVolumeBody>, Result>(routeTiming)
    .use(httpStack(deps, { body: CreateVolumeBody }))
    .handler(async ({ input }) => {
      const tenant = await deps.tenants().get(input.tenant);
      const { NFS_SERVER, NFS_PREFIX, NFS_TENANT_SCOPE } = deps.config();
      const volume = renderVolume(tenant, input, { server: NFS_SERVER, prefix: NFS_PREFIX, tenantScope: NFS_TENANT_SCOPE }, tenantNamespace(tenant));
      return json(201, await createOwned(await deps.resources(), volume, volumeOwner(input)));
    });
}

export const handler = createHandler();
