// DELETE /service/v1/volumes/pvs?tenant&username&tag: deletes that user's PersistentVolume (the NFS data stays).
import middy from '@middy/core';
import { productionDeps, type Deps } from '../../../lib/deps.ts';
import { json, type Result } from '../../../lib/http/response.ts';
import { httpStack, routeTiming } from '../../../lib/http/stack.ts';
import type { RouteEvent } from '../../../lib/http/validate.ts';
import { deleteOwned, getOwned } from '../../../lib/owned.ts';
import { volumeOwner, volumeRef } from '../../../lib/render/volumes.ts';
import { VolumeQuery } from '../../../lib/schemas/volumes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<VolumeQuery>, Result>(routeTiming)
    .use(httpStack(deps, { query: VolumeQuery }))
    .handler(async ({ input }) => {
      const tenant = await deps.tenants().get(input.tenant);
      const resources = await deps.resources();
      const volume = await getOwned(resources, volumeRef(tenant, input), volumeOwner(input));
      return json(200, { deleted: await deleteOwned(resources, volume) });
    });
}

export const handler = createHandler();
