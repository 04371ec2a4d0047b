// POST /service/v1/snapshots/terms: end of term for a class: each student's volume archived (a snapshot each), then,
// as each archive is kept, their claim and volume removed; answered at once (202) with a result per student. The
// archives stay, restorable with POST /service/v1/snapshots/restores.
import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';
import { startTerm } from '../../../lib/snapshots/terms.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.startTerm, async ({ input, inputHeaders }) => {
    const { tenant, ...asked } = input;
    return startTerm(await deps.scope(tenant), asked, { idempotencyKey: inputHeaders['idempotency-key'] });
  });
}

export const handler = createHandler();
