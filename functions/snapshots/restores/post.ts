// POST /service/v1/snapshots/restores: a student's snapshot back in their volume, beside what is there (a dated folder)
// or replacing it; answered at once (202) with the copy that does it. A student may be given this route through MOOP:
// it names only their own volume and snapshots, never a path.
import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';
import { askToBeTold } from '../../../lib/notices/requests.ts';
import { restoreSnapshot } from '../../../lib/snapshots/snapshots.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.restoreSnapshot, async ({ input, inputHeaders }) => {
    const { tenant, notify, ...asked } = input;
    const scope = await deps.scope(tenant);
    const started = await restoreSnapshot(scope, asked, { idempotencyKey: inputHeaders['idempotency-key'] });
    if (notify)
      await askToBeTold(scope, deps.publisher(), notify, [{ object: started.copy, username: input.username }]);
    return started.restore;
  });
}

export const handler = createHandler();
