// GET /service/v1/volumes/pvs?tenant&username&tag: the PersistentVolume of that user and tag, if it is theirs.
import middy from '@middy/core';
import { productionDeps, type Deps } from '../../../lib/deps.ts';
import { json, type Result } from '../../../lib/http/response.ts';
import { httpStack, routeTiming } from '../../../lib/http/stack.ts';
import type { RouteEvent } from '../../../lib/http/validate.ts';
import { getOwned } from '../../../lib/owned.ts';
import { volumeOwner, volumeRef } from '../../../lib/render/volumes.ts';
import { VolumeQuery } from '../../../lib/schemas/volumes.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<VolumeQuery>, Result>(routeTiming)
    .use(httpStack(deps, { query: VolumeQuery }))
    .handler(async ({ input }) => {
      const tenant = await deps.tenants().get(input.tenant);
      const volume = await getOwned(await deps.resources(), volumeRef(tenant, input), volumeOwner(input));
      return json(200, volume);
    });
}

export const handler = createHandler();
