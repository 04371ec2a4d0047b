// Invoking handlers in-process, as the Lambda runtime calls them: an HTTP API (v2) event and a context.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

export const lambdaContext = {
  functionName: 'in-process',
  functionVersion: '$LATEST',
  memoryLimitInMB: '512',
  awsRequestId: 'in-process',
  getRemainingTimeInMillis: () => 28_000,
} as unknown as Context;

/** An HTTP API (payload 2.0) event for method and path. */
export function httpEvent(
  method: string,
  path: string,
  moopkey: string,
  input: { query?: Record<string, string>; body?: unknown } = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(input.query).toString(),
    headers: { moopkey, 'content-type': 'application/json' },
    queryStringParameters: input.query,
    body: input.body === undefined ? undefined : JSON.stringify(input.body),
    isBase64Encoded: false,
    requestContext: { requestId: 'in-process', http: { method, path } },
  } as unknown as APIGatewayProxyEventV2;
}

/**
 * Calls handler with event (and a context, 28 s left by default); returns the status and parsed body, typed as the
 * answer T the caller expects (unknown unless it says).
 */
export async function invokeHttp<T = unknown>(
  handler: unknown,
  event: APIGatewayProxyEventV2,
  context: Context = lambdaContext,
): Promise<{ status: number; body: T }> {
  const call = handler as (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;
  const result = await call(event, context);
  return { status: result.statusCode!, body: JSON.parse(result.body!) as T };
}
