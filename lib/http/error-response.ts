// The one place where errors become HTTP answers: `{error, code, details?}` with the contract's status.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj, Request } from '@middy/core';
import { ConfigError, ServiceError } from '../errors.ts';
import { json, type Result } from './response.ts';

/** Turns any error into the contract's JSON body and status. */
export function errorResult(err: unknown): {
  statusCode: number;
  body: { error: string; code: string; details?: unknown };
} {
  // Settings the service cannot work with are the operator's to read in the logs, not the caller's.
  if (err instanceof ConfigError) {
    return {
      statusCode: 503,
      body: {
        error: 'The service is misconfigured; an operator must fix its settings.',
        code: 'SERVICE_MISCONFIGURED',
      },
    };
  }
  if (err instanceof ServiceError) {
    const body = { error: err.message, code: err.code, ...(err.details === undefined ? {} : { details: err.details }) };
    return { statusCode: err.status, body };
  }
  // middy's JSON body parser throws http-errors (415/422) for bodies that are not JSON.
  const statusCode = (err as { statusCode?: number }).statusCode;
  if (statusCode === 415 || statusCode === 422 || statusCode === 400) {
    return { statusCode: 400, body: { error: 'The request body is not valid JSON.', code: 'MALFORMED_JSON' } };
  }
  return {
    statusCode: 500,
    body: { error: 'Internal error; the request id in the logs tells what failed.', code: 'INTERNAL' },
  };
}

/** middy onError: answers every failure with errorResult and logs it once. */
export function errorResponse(logger: Logger): MiddlewareObj<unknown, Result> {
  return {
    onError: (request: Request<unknown, Result>) => {
      const { statusCode, body } = errorResult(request.error);
      const log = statusCode >= 500 ? logger.error.bind(logger) : logger.info.bind(logger);
      log('request failed', {
        statusCode,
        code: body.code,
        error: request.error?.message,
        ...(statusCode === 500 ? { stack: request.error?.stack } : {}),
      });
      request.response = json(statusCode, body);
    },
  };
}
