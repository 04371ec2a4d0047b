// Request validation with zod: the route's schema parses the query or the JSON body into `event.input`.
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod';
import { BadRequestError } from '../errors.ts';
import { describeProblems, fieldProblems } from '../validation.ts';

/** An HTTP API event after validation: `input` holds the parsed query or body, `inputHeaders` the parsed headers. */
export type RouteEvent<TInput, THeaders = undefined> = APIGatewayProxyEventV2 & {
  input: TInput;
  inputHeaders: THeaders;
};

/** Where a route's input comes from. */
export type InputSource = 'query' | 'body' | 'headers';

/** Parses input with schema, or throws a BadRequestError that lists each failing field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, source: InputSource): z.output<S> {
  if (source === 'body' && (input === undefined || input === null || input === '')) {
    throw new BadRequestError('Invalid request body: the request needs a JSON object body.', {
      code: 'INVALID_REQUEST',
    });
  }
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const details = fieldProblems(parsed.error, source);
  throw new BadRequestError(`Invalid request ${source}: ${describeProblems(details)}.`, {
    code: 'INVALID_REQUEST',
    details,
  });
}

/**
 * middy before: validates the query string, the parsed body or the headers, into event.input (inputHeaders for
 * headers).
 */
export function validateInput<S extends z.ZodType>(
  source: InputSource,
  schema: S,
): MiddlewareObj<RouteEvent<unknown, unknown>> {
  return {
    before: ({ event }) => {
      if (source === 'headers') event.inputHeaders = parseInput(schema, event.headers, source);
      else
        event.input = parseInput(
          schema,
          source === 'query' ? event.queryStringParameters : (event.body as unknown),
          source,
        );
    },
  };
}
