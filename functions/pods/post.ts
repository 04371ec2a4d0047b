// POST /service/v1/pods: a copy Pod or Job (the kind the tenant's pod template names), mounting the named claims;
// optionally waits for it to finish, never past the invocation's time. An Idempotency-Key header makes retries safe;
// `notify` asks for an event on EventBridge when it ends.
import { type Deps, productionDeps } from '../../lib/app/deps.ts';
import { createCopy } from '../../lib/copies/copies.ts';
import { answerMarginMs, routeHandler } from '../../lib/http/handler.ts';
import { routes } from '../../lib/http/routes.ts';
import { askToBeTold } from '../../lib/notices/requests.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.createCopy, async ({ input, inputHeaders }, context) => {
    // The wait ends early enough for the answer to leave before the invocation's own limit.
    const waitMs = Math.min(
      (input.wait ?? 0) * 1000,
      (context.getRemainingTimeInMillis?.() ?? Infinity) - 2 * answerMarginMs,
    );
    const scope = await deps.scope(input.tenant);
    const copy = await createCopy(scope, input, { idempotencyKey: inputHeaders['idempotency-key'], waitMs });
    if (input.notify) await askToBeTold(scope, deps.publisher(), input.notify, [{ object: copy }]);
    return copy;
  });
}

export const handler = createHandler();
