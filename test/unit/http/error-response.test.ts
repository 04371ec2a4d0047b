import {
  BadRequestError,
  ConfigError,
  ConflictError,
  NotFoundError,
  TemplateError,
  UnauthorizedError,
  UnavailableError,
  UpstreamError,
  UpstreamTimeoutError,
} from '../../../lib/errors.ts';
import { errorResult } from '../../../lib/http/error-response.ts';

describe('errorResult', () => {
  it.each([
    [BadRequestError, 400],
    [UnauthorizedError, 401],
    [NotFoundError, 404],
    [ConflictError, 409],
    [TemplateError, 422],
    [UpstreamError, 502],
    [UnavailableError, 503],
    [UpstreamTimeoutError, 504],
  ])('answers %p with %i and the error as JSON', (Kind, status) => {
    expect(errorResult(new Kind('Something went wrong.', { code: 'CONFLICT' }))).toEqual({
      statusCode: status,
      body: { error: 'Something went wrong.', code: 'CONFLICT' },
    });
  });

  it('adds details when the error has them', () => {
    const err = new BadRequestError('Invalid request body.', {
      code: 'INVALID_REQUEST',
      details: [{ field: 'tenant', message: 'Required' }],
    });
    expect(errorResult(err).body).toEqual({
      error: 'Invalid request body.',
      code: 'INVALID_REQUEST',
      details: [{ field: 'tenant', message: 'Required' }],
    });
  });

  it("answers the JSON body parser's errors with 400 MALFORMED_JSON", () => {
    expect(
      errorResult(Object.assign(new Error('Invalid or malformed JSON was provided'), { statusCode: 422 })),
    ).toEqual({
      statusCode: 400,
      body: { error: 'The request body is not valid JSON.', code: 'MALFORMED_JSON' },
    });
  });

  it('answers a configuration error with 503 and does not echo the settings', () => {
    expect(errorResult(new ConfigError('Invalid configuration:\n- MOOPKEY: ...'))).toEqual({
      statusCode: 503,
      body: {
        error: 'The service is misconfigured; an operator must fix its settings.',
        code: 'SERVICE_MISCONFIGURED',
      },
    });
  });

  it('answers anything unexpected with 500 and no internals', () => {
    expect(errorResult(new TypeError('x is undefined'))).toEqual({
      statusCode: 500,
      body: { error: 'Internal error; the request id in the logs tells what failed.', code: 'INTERNAL' },
    });
  });
});
