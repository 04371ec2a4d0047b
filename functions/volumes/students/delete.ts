// DELETE /service/v1/volumes/students?tenant&username&tag[&force=true]: the student's claim, then their volume (409
// while pods mount the claim, unless forced). The NFS data stays.
import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';
import { unprovisionStudent } from '../../../lib/provisioning/student.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.unprovisionStudent, async ({ input }) =>
    unprovisionStudent(await deps.scope(input.tenant), input),
  );
}

export const handler = createHandler();
