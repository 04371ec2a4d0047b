// POST /service/v1/volumes/students: a student's volume and match claim in one call, waiting (bounded by `wait` and the
// invocation's time) until the claim is Bound. 201 when it made either, 200 when both were there; on a failure what
// this call made is removed. `notify` asks for an event on EventBridge when the claim is Bound.
import { type Deps, productionDeps } from '../../../lib/app/deps.ts';
import { answerMarginMs, routeHandler } from '../../../lib/http/handler.ts';
import { routes } from '../../../lib/http/routes.ts';
import { askToBeTold } from '../../../lib/notices/requests.ts';
import { provisionStudent } from '../../../lib/provisioning/student.ts';

export function createHandler(deps: Deps = productionDeps) {
  return routeHandler(deps, routes.provisionStudent, async ({ input }, context) => {
    const deadline = Date.now() + (context.getRemainingTimeInMillis?.() ?? Infinity) - 2 * answerMarginMs;
    const scope = await deps.scope(input.tenant);
    const answer = await provisionStudent(scope, input, { deadline });
    if (input.notify) {
      await askToBeTold(scope, deps.publisher(), input.notify, [{ object: answer.claim, username: input.username }]);
    }
    return answer;
  });
}

export const handler = createHandler();
