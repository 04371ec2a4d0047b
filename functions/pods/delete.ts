// DELETE /service/v1/pods?tenant&name: deletes the tenant's Job; the garbage collector removes its pods.
import middy from '@middy/core';
import { productionDeps, type Deps } from '../../lib/deps.ts';
import { json, type Result } from '../../lib/http/response.ts';
import { httpStack } from '../../lib/http/stack.ts';
import type { RouteEvent } from '../../lib/http/validate.ts';
import { deleteOwned, getOwned } from '../../lib/owned.ts';
import { jobRef } from '../../lib/render/job.ts';
import { JobQuery } from '../../lib/schemas/jobs.ts';
import { tenantNamespace } from '../../lib/tenants/tenant.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<JobQuery>, Result>()
    .use(httpStack(deps, { query: JobQuery }))
    .handler(async ({ input }) => {
      const tenant = await deps.tenants().get(input.tenant);
      const resources = await deps.resources();
      const job = await getOwned(resources, jobRef(tenant, input.name, tenantNamespace(tenant)), { tenant: tenant.id });
      return json(200, { deleted: await deleteOwned(resources, job, { propagationPolicy: 'Background' }) });
    });
}

export const handler = createHandler();
