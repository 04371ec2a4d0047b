// POST /service/v1/pods: a copy Pod or Job (the kind the tenant's pod template names), mounting the named claims;
// optionally waits for it to finish.
import middy from '@middy/core';
import { productionDeps, type Deps } from '../../lib/deps.ts';
import { json, type Result } from '../../lib/http/response.ts';
import { httpStack } from '../../lib/http/stack.ts';
import type { RouteEvent } from '../../lib/http/validate.ts';
import { createOwned } from '../../lib/owned.ts';
import { assertClaimsExist, waitUntilFinished } from '../../lib/pods.ts';
import { renderPod } from '../../lib/render/pod.ts';
import { CreateJobBody } from '../../lib/schemas/jobs.ts';
import { tenantNamespace } from '../../lib/tenants/tenant.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<CreateJobBody>, Result>()
    .use(httpStack(deps, { body: CreateJobBody }))
    .handler(async ({ input }) => {
      const tenant = await deps.tenants().get(input.tenant);
      const namespace = tenantNamespace(tenant);
      const resources = await deps.resources();
      const { JOB_ACTIVE_DEADLINE_SECONDS, JOB_BACKOFF_LIMIT, JOB_RETENTION_SECONDS } = deps.config();
      const settings = { activeDeadlineSeconds: JOB_ACTIVE_DEADLINE_SECONDS, backoffLimit: JOB_BACKOFF_LIMIT, retentionSeconds: JOB_RETENTION_SECONDS };
      const copy = renderPod(tenant, input, namespace, settings);
      await assertClaimsExist(resources, namespace, input.vols);
      const created = await createOwned(resources, copy, { tenant: tenant.id });
      return json(201, input.wait ? await waitUntilFinished(resources, created, input.wait) : created);
    });
}

export const handler = createHandler();
