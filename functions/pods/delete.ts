// DELETE /service/v1/pods?tenant&name: deletes the tenant's Pod, or its Job (the garbage collector removes the Job's pods).
import middy from '@middy/core';
import { productionDeps, type Deps } from '../../lib/deps.ts';
import { json, type Result } from '../../lib/http/response.ts';
import { httpStack, routeTiming } from '../../lib/http/stack.ts';
import type { RouteEvent } from '../../lib/http/validate.ts';
import { deleteCopy } from '../../lib/pods.ts';
import { JobQuery } from '../../lib/schemas/jobs.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<JobQuery>, Result>(routeTiming)
    .use(httpStack(deps, { query: JobQuery }))
    .handler(async ({ input }) => json(200, { deleted: await deleteCopy(await deps.resources(), await deps.tenants().get(input.tenant), input.name) }));
}

export const handler = createHandler();
