// POST /service/v1/snapshots: a snapshot of a student's volume, archived by a copy into the tenant's snapshot store;
// answered at once (202). An Idempotency-Key header makes a retry answer the same snapshot (one archive).
import { type Deps, productionDeps } from '../../lib/app/deps.ts';
import { routeHandler } from '../../lib/http/handler.ts';
import { routes } from '../../lib/http/routes.ts';
import { askToBeTold } from '../../lib/notices/requests.ts';
import { takeSnapshot } from '../../lib/snapshots/snapshots.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.takeSnapshot, async ({ input, inputHeaders }) => {
    const { tenant, notify, ...asked } = input;
    const scope = await deps.scope(tenant);
    const taken = await takeSnapshot(scope, asked, { idempotencyKey: inputHeaders['idempotency-key'] });
    if (notify) await askToBeTold(scope, deps.publisher(), notify, [{ object: taken.copy, username: input.username }]);
    return taken.snapshot;
  });
}

export const handler = createHandler();
