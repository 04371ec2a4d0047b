// The middleware every route shares, in order: request logging, error answers, moopkey, JSON body, validation.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { MiddlewareObj } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { z } from 'zod';
import type { Deps } from '../deps.ts';
import { UpstreamTimeoutError } from '../errors.ts';
import { metrics, MetricUnit } from '../metrics.ts';
import { authenticate } from './auth.ts';
import { errorResponse } from './error-response.ts';
import type { Result } from './response.ts';
import { validateInput, type RouteEvent } from './validate.ts';

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
    throw new UpstreamTimeoutError('The request ran out of its time limit before the cluster or the tenant service answered; retry it.', { code: 'DEADLINE_EXCEEDED' });
  },
};

/** Which part of the request a route validates, and with what schema. */
export type RouteInput<S extends z.ZodType> = { query: S; body?: never } | { body: S; query?: never };

const statusOf = (response: Result | null | undefined): number | undefined =>
  typeof response === 'object' && response !== null ? response.statusCode : undefined;

function requestLog(deps: Deps): MiddlewareObj<RouteEvent<unknown>, Result> {
  let started = 0;
  let route: string | undefined;
  const finish = (statusCode: number | undefined): void => {
    deps.logger.info('request finished', { statusCode, durationMs: Date.now() - started });
    // Requests by route and status class; the upstream latencies the request recorded get the same dimensions.
    metrics.addDimensions({ route: route ?? 'unknown', statusClass: statusCode ? `${Math.floor(statusCode / 100)}xx` : 'none' });
    metrics.addMetric('Requests', MetricUnit.Count, 1);
  };
  return {
    before: ({ event }) => {
      started = Date.now();
      route = event.routeKey;
      deps.logger.appendKeys({ requestId: event.requestContext?.requestId, route: event.routeKey });
    },
    after: ({ response }) => finish(statusOf(response)),
    onError: ({ response }) => finish(statusOf(response)),
  };
}

/** The shared middleware stack of an HTTP route whose input is validated by input's schema. */
export function httpStack<S extends z.ZodType>(deps: Deps, input?: RouteInput<S>): MiddlewareObj<RouteEvent<z.output<S>>, Result>[] {
  const stack: MiddlewareObj<RouteEvent<z.output<S>>, Result>[] = [
    injectLambdaContext(deps.logger, { resetKeys: true }) as MiddlewareObj<RouteEvent<z.output<S>>, Result>,
    // Publishes, in CloudWatch's embedded format, the request's count and the upstream latencies its calls recorded.
    logMetrics(metrics) as MiddlewareObj<RouteEvent<z.output<S>>, Result>,
    requestLog(deps) as MiddlewareObj<RouteEvent<z.output<S>>, Result>,
    errorResponse(deps.logger) as MiddlewareObj<RouteEvent<z.output<S>>, Result>,
    authenticate(
      () => deps.callerKeys(),
      // Every later line of the request names its caller; `previous` shows who still uses a key being rotated out.
      ({ caller, previous }) => deps.logger.appendKeys({ caller, ...(previous ? { callerKey: 'previous' } : {}) }),
    ) as MiddlewareObj<RouteEvent<z.output<S>>, Result>,
  ];
  if (input?.body) {
    stack.push(httpJsonBodyParser({ disableContentTypeCheck: true }) as MiddlewareObj<RouteEvent<z.output<S>>, Result>);
    stack.push(validateInput('body', input.body));
  } else if (input?.query) {
    stack.push(validateInput('query', input.query));
  }
  return stack;
}
