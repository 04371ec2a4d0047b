// GET /service/v1/health: 200 when the Kubernetes API server answers and is ready, 503 when it is not.
import middy from '@middy/core';
import { productionDeps, type Deps } from '../../lib/deps.ts';
import { json, type Result } from '../../lib/http/response.ts';
import { httpStack, routeTiming } from '../../lib/http/stack.ts';
import type { RouteEvent } from '../../lib/http/validate.ts';
import { assertApiServerReady } from '../../lib/kube/health.ts';

export function createHandler(deps: Deps = productionDeps) {
  return middy<RouteEvent<unknown>, Result>(routeTiming)
    .use(httpStack(deps))
    .handler(async () => {
      const kube = await deps.kube();
      await assertApiServerReady(kube);
      return json(200, { status: 'ok' });
    });
}

export const handler = createHandler();
