// GET /service/v1/pods?tenant&name: the tenant's Pod or Job with its status.
import middy from '@middy/core';
import { productionDeps, type Deps } from '../../lib/deps.ts';
import { json, type Result } from '../../lib/http/response.ts';
import { httpStack, routeTiming } from '../../lib/http/stack.ts';
import type { RouteEvent } from '../../lib/http/validate.ts';
import { getOwned } from '../../lib/owned.ts';
import { podRefs } from '../../lib/render/pod.ts';
import { JobQuery } from '../../lib/schemas/jobs.ts';
import { tenantNamespace } from '../../lib/tenants/tenant.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<JobQuery>, Result>(routeTiming)
    .use(httpStack(deps, { query: JobQuery }))
    .handler(async ({ input }) => {
      const tenant = await deps.tenants().get(input.tenant);
      const copy = await getOwned(await deps.resources(), podRefs(tenant, input.name, tenantNamespace(tenant)), { tenant: tenant.id });
      return json(200, copy);
    });
}

export const handler = createHandler();
