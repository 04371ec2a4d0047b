// The moopkey check: runs before anything else reads the request, compares in constant time, never logs the key.
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../errors.ts';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** True when presented equals expected; hashing first makes the compare constant-time whatever the lengths. */
export function keyMatches(presented: string | undefined, expected: string): boolean {
  return presented !== undefined && timingSafeEqual(digest(presented), digest(expected));
}

/** middy before: 401 unless the moopkey header holds the key that expectedKey() returns. */
export function authenticate(expectedKey: () => string | Promise<string>): MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: async ({ event }) => {
      // HTTP API lower-cases header names; the lookup covers direct invocations that do not.
      const headers = event.headers ?? {};
      const presented = headers.moopkey ?? Object.entries(headers).find(([k]) => k.toLowerCase() === 'moopkey')?.[1];
      if (!keyMatches(presented, await expectedKey())) {
        throw new UnauthorizedError('Missing or wrong moopkey header.', { code: 'UNAUTHORIZED' });
      }
    },
  };
}
