// The moopkey check: runs before anything else reads the request, matches the key to its caller in constant time,
// and tells who called (never the key) so that every log line of the request names the caller.
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { UnauthorizedError } from '../errors.ts';
import { type CallerKey, findCaller } from './keys.ts';

/** Who a request came from, for the logs: a caller's name, or that no key matched. */
export type Caller = Pick<CallerKey, 'caller' | 'previous'> | { caller: 'unauthenticated'; previous?: never };

/**
 * middy before: 401 unless the moopkey header holds one of keys(); identified(caller) is told who called either way.
 */
export function authenticate(
  keys: () => readonly CallerKey[] | Promise<readonly CallerKey[]>,
  identified: (caller: Caller) => void = () => undefined,
): MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: async ({ event }) => {
      // HTTP API lower-cases header names; the lookup covers direct invocations that do not.
      const headers = event.headers ?? {};
      const presented = headers.moopkey ?? Object.entries(headers).find(([k]) => k.toLowerCase() === 'moopkey')?.[1];
      const found = findCaller(await keys(), presented);
      identified(found ? { caller: found.caller, previous: found.previous } : { caller: 'unauthenticated' });
      if (!found) throw new UnauthorizedError('Missing or wrong moopkey header.', { code: 'UNAUTHORIZED' });
    },
  };
}
