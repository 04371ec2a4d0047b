import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { UnauthorizedError } from '../../../lib/errors.ts';
import { authenticate, type Caller } from '../../../lib/http/auth.ts';
import { findCaller, keyMatches, ownKey, parseKeys } from '../../../lib/http/keys.ts';

const event = (headers: Record<string, string>): APIGatewayProxyEventV2 =>
  ({ headers }) as unknown as APIGatewayProxyEventV2;

describe('keyMatches', () => {
  it('accepts only the exact key', () => {
    expect(keyMatches('the-right-key', 'the-right-key')).toBe(true);
    expect(keyMatches('the-right-kez', 'the-right-key')).toBe(false);
    expect(keyMatches('the-right-key-and-more', 'the-right-key')).toBe(false);
    expect(keyMatches('', 'the-right-key')).toBe(false);
    expect(keyMatches(undefined, 'the-right-key')).toBe(false);
  });
});

describe('authenticate', () => {
  const handler = middy<APIGatewayProxyEventV2, string>()
    .use(authenticate(() => [{ caller: 'moop', key: 'the-right-key' }]))
    .handler(async () => 'reached');
  const context = {} as Context;

  it('lets a request with the right moopkey through', async () => {
    await expect(handler(event({ moopkey: 'the-right-key' }), context)).resolves.toBe('reached');
  });

  it('finds the header whatever its case, for direct invocations', async () => {
    await expect(handler(event({ MoopKey: 'the-right-key' }), context)).resolves.toBe('reached');
  });

  it.each([[{}], [{ moopkey: 'wrong' }], [{ authorization: 'the-right-key' }]])(
    'refuses %j with UnauthorizedError',
    async (headers) => {
      await expect(handler(event(headers), context)).rejects.toThrow(
        new UnauthorizedError('Missing or wrong moopkey header.', { code: 'UNAUTHORIZED' }),
      );
    },
  );
});

describe('named keys and a rotation', () => {
  const keys = [
    ...parseKeys('{"moop": "moop-api-server-key", "grader": "grading-service-key"}', 'the secret'),
    ...parseKeys('old-shared-key-0001', 'the secret').map((k) => ({ ...k, previous: true })),
  ];
  const seen: Caller[] = [];
  const handler = middy<APIGatewayProxyEventV2, string>()
    .use(
      authenticate(
        () => keys,
        (caller) => seen.push(caller),
      ),
    )
    .handler(async () => 'reached');

  it('reads a plain key as the caller "moop", and a JSON object as named callers', () => {
    expect(parseKeys('  a-plain-shared-key \n', 'MOOPKEY')).toEqual([{ caller: 'moop', key: 'a-plain-shared-key' }]);
    expect(keys).toEqual([
      { caller: 'moop', key: 'moop-api-server-key' },
      { caller: 'grader', key: 'grading-service-key' },
      { caller: 'moop', key: 'old-shared-key-0001', previous: true },
    ]);
  });

  it('tells who called, and that a caller still uses the previous key, never the key', async () => {
    seen.length = 0;
    await expect(handler(event({ moopkey: 'grading-service-key' }), {} as Context)).resolves.toBe('reached');
    await expect(handler(event({ moopkey: 'old-shared-key-0001' }), {} as Context)).resolves.toBe('reached');
    await expect(handler(event({ moopkey: 'nobody-has-this-key' }), {} as Context)).rejects.toThrow(UnauthorizedError);
    expect(seen).toEqual([
      { caller: 'grader', previous: undefined },
      { caller: 'moop', previous: true },
      { caller: 'unauthenticated' },
    ]);
  });

  it('sends the current key of "moop" itself, else the first current key', () => {
    expect(ownKey(keys)).toBe('moop-api-server-key');
    expect(
      ownKey([
        { caller: 'grader', key: 'k'.repeat(12) },
        { caller: 'moop', key: 'old'.repeat(4), previous: true },
      ]),
    ).toBe('k'.repeat(12));
    expect(findCaller(keys, undefined)).toBeUndefined();
  });

  it.each([
    ['short-key', 'the secret must hold a key of at least 12 characters'],
    [
      '{"moop": "short"}',
      'the secret must be a JSON object of caller names to keys: moop: each key must be at least 12 characters',
    ],
    ['{"bad name!": "long-enough-key-1"}', 'caller names are 1 to 64 letters'],
    ['{}', 'the secret must be a JSON object of caller names to keys: object: holds no key'],
    ['{"moop": "long-enough-key-1"', 'the secret starts like a JSON object of named keys but is not valid JSON'],
  ])('refuses %j as a misconfiguration that does not quote the secret', (text, message) => {
    expect(() => parseKeys(text, 'the secret')).toThrow(message);
    try {
      parseKeys(text, 'the secret');
    } catch (err) {
      expect((err as Error).message).not.toContain('long-enough-key-1');
    }
  });
});
