// The middleware every route shares, in order: request logging, error answers, moopkey, JSON body, validation. The HTTP
// layer takes only what it uses from the wiring: the logger and the callers' keys.

import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { ownInvocation } from '../aws/invocation.ts';
import { MetricUnit, metrics } from '../aws/metrics.ts';
import { UpstreamTimeoutError } from '../errors.ts';
import { authenticate } from './auth.ts';
import { errorResponse } from './error-response.ts';
import type { CallerKey } from './keys.ts';
import { json, type Result } from './response.ts';
import type { Route } from './routes.ts';
import { type RouteEvent, validateInput } from './validate.ts';

/** What the HTTP layer needs of the wiring. */
export interface HttpDeps {
  logger: Logger;
  /** The keys callers may present: the current ones and, during a rotation, the previous ones. */
  callerKeys(): Promise<CallerKey[]>;
}

/** Time kept back from the invocation's remaining time, so that an answer always comes from the service. */
export const answerMarginMs = 1000;

/**
 * middy's options for every route: shortly before Lambda (or API Gateway) would cut the invocation, answer 504 in the
 * contract's shape instead of leaving the caller the gateway's bare timeout. middy's default throws a plain Error
 * 5 ms before, which would be a 500.
 */
export const routeTiming = {
  timeoutEarlyInMillis: answerMarginMs,
  timeoutEarlyResponse: (): never => {
    throw new UpstreamTimeoutError(
      'The request ran out of its time limit before the cluster or the tenant service answered; retry it.',
      {
        code: 'DEADLINE_EXCEEDED',
      },
    );
  },
};

/** What a route's handler receives as event.input: its query or body, parsed by the route table's schema. */
export type InputOf<R extends Route> = R extends { body: infer S extends z.ZodType }
  ? z.output<S>
  : R extends { query: infer S extends z.ZodType }
    ? z.output<S>
    : unknown;
/** Its headers, parsed, for routes whose entry has a headers schema. */
export type HeadersOf<R extends Route> = R extends { headers: infer S extends z.ZodType } ? z.output<S> : undefined;

const statusOf = (response: Result | null | undefined): number | undefined =>
  typeof response === 'object' && response !== null ? response.statusCode : undefined;

/** When a request started and which route it is, kept in the request (middy's `internal`), never across requests. */
interface Started {
  startedAt: number;
  route: string;
}

function requestLog(logger: Logger): MiddlewareObj<RouteEvent<unknown>, Result, Error, Context, { request?: Started }> {
  const finish = (internal: { request?: Started }, statusCode: number | undefined): void => {
    const { startedAt, route } = internal.request ?? { startedAt: Date.now(), route: 'unknown' };
    logger.info('request finished', { statusCode, durationMs: Date.now() - startedAt });
    // Requests by route and status class; the upstream latencies the request recorded get the same dimensions.
    metrics.addDimensions({ route, statusClass: statusCode ? `${Math.floor(statusCode / 100)}xx` : 'none' });
    metrics.addMetric('Requests', MetricUnit.Count, 1);
  };
  return {
    before: ({ event, internal }) => {
      internal.request = { startedAt: Date.now(), route: event.routeKey ?? 'unknown' } satisfies Started;
      logger.appendKeys({ requestId: event.requestContext?.requestId, route: event.routeKey });
    },
    after: ({ response, internal }) => finish(internal, statusOf(response)),
    onError: ({ response, internal }) => finish(internal, statusOf(response)),
  };
}

type Stack<R extends Route> = MiddlewareObj<RouteEvent<InputOf<R>, HeadersOf<R>>, Result>;

/** The shared middleware stack of an HTTP route, validating its input with the route table's schemas. */
export function httpStack<R extends Route>(deps: HttpDeps, route: R): Stack<R>[] {
  const stack: Stack<R>[] = [
    injectLambdaContext(deps.logger, { resetKeys: true }) as Stack<R>,
    // Publishes, in CloudWatch's embedded format, the request's count and the upstream latencies its calls recorded.
    logMetrics(metrics) as Stack<R>,
    requestLog(deps.logger) as Stack<R>,
    errorResponse(deps.logger) as Stack<R>,
    authenticate(
      () => deps.callerKeys(),
      // Every later line of the request names its caller; `previous` shows who still uses a key being rotated out.
      ({ caller, previous }) => deps.logger.appendKeys({ caller, ...(previous ? { callerKey: 'previous' } : {}) }),
    ) as Stack<R>,
  ];
  if (route.body) {
    stack.push(httpJsonBodyParser({ disableContentTypeCheck: true }) as Stack<R>);
    stack.push(validateInput('body', route.body) as Stack<R>);
  } else if (route.query) {
    stack.push(validateInput('query', route.query) as Stack<R>);
  }
  if (route.headers) stack.push(validateInput('headers', route.headers) as Stack<R>);
  return stack;
}

/**
 * A route's Lambda handler: the shared stack, then operation, whose answer goes out with the route's success status.
 */
export function routeHandler<R extends Route>(
  deps: HttpDeps,
  route: R,
  operation: (event: RouteEvent<InputOf<R>, HeadersOf<R>>, context: Context) => Promise<unknown>,
) {
  return ownInvocation(
    middy<RouteEvent<InputOf<R>, HeadersOf<R>>, Result>(routeTiming)
      .use(httpStack(deps, route))
      .handler(async (event, context) => {
        const answer = await operation(event, context);
        const { status, statusOf } = route.success as Route['success'];
        return json(statusOf ? (statusOf as (a: unknown) => 200 | 201)(answer) : status, answer);
      }),
  );
}
