import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { authenticate, keyMatches } from '../../../lib/http/auth.ts';
import { UnauthorizedError } from '../../../lib/errors.ts';

const event = (headers: Record<string, string>): APIGatewayProxyEventV2 => ({ headers }) as unknown as APIGatewayProxyEventV2;

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
    .use(authenticate(() => 'the-right-key'))
    .handler(async () => 'reached');
  const context = {} as Context;

  it('lets a request with the right moopkey through', async () => {
    await expect(handler(event({ moopkey: 'the-right-key' }), context)).resolves.toBe('reached');
  });

  it('finds the header whatever its case, for direct invocations', async () => {
    await expect(handler(event({ MoopKey: 'the-right-key' }), context)).resolves.toBe('reached');
  });

  it.each([[{}], [{ moopkey: 'wrong' }], [{ authorization: 'the-right-key' }]])('refuses %j with UnauthorizedError', async (headers) => {
    await expect(handler(event(headers), context)).rejects.toThrow(new UnauthorizedError('Missing or wrong moopkey header.', { code: 'UNAUTHORIZED' }));
  });
});
