// POST /service/v1/operations/distributions: course material from one folder to every student of a class, one copy per
// batch of students; answered at once (202) with the operation, read back with GET /service/v1/operations. An
// Idempotency-Key header makes a retry answer the same operation.
import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';
import { askToBeTold } from '../../../lib/notices/requests.ts';
import { startOperation } from '../../../lib/operations/operations.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.startDistribution, async ({ input, inputHeaders }) => {
    const scope = await deps.scope(input.tenant);
    const started = await startOperation(
      scope,
      { kind: 'distribution', ...input },
      { idempotencyKey: inputHeaders['idempotency-key'] },
    );
    if (input.notify) await askToBeTold(scope, deps.publisher(), input.notify, [{ operation: started.target }]);
    return started.operation;
  });
}

export const handler = createHandler();
