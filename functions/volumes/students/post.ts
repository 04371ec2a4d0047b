// POST /service/v1/volumes/students: a student's volume and match claim in one call, waiting (bounded by `wait` and the
// invocation's time) until the claim is Bound. 201 when it made either, 200 when both were there; on a failure what
// this call made is removed.
import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { answerMarginMs, routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';
import { provisionStudent } from '../../../lib/provisioning/student.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.provisionStudent, async ({ input }, context) => {
    const deadline = Date.now() + (context.getRemainingTimeInMillis?.() ?? Infinity) - 2 * answerMarginMs;
    return provisionStudent(await deps.scope(input.tenant), input, { deadline });
  });
}

export const handler = createHandler();
