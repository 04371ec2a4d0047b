// Calls the running API (serverless-offline) the way MOOP does: JSON over HTTP with the moopkey header.
export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

export interface CallOptions {
  query?: Record<string, string | undefined>;
  /** A value to send as JSON, or a string to send as it is. */
  body?: unknown;
  /** The key to send; null sends none. Defaults to the suite's key. */
  key?: string | null;
  headers?: Record<string, string>;
}

export const apiUrl = (): string => required('MOOP_TEST_API_URL');
export const moopkey = (): string => required('MOOP_TEST_MOOPKEY');

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run integration tests through jest's integration project (npm test)`);
  return value;
}

/** Sends one request to the API; returns its status and JSON body, as the answer T a test expects (answers.ts). */
export async function call<T = unknown>(
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<ApiAnswer<T>> {
  const url = new URL(apiUrl() + path);
  for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? moopkey() : options.key;
  if (key !== null) headers.moopkey = key;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: tests see the raw text
  }
  return { status: response.status, body: parsed as T };
}

/** Invokes a function through serverless-offline's Lambda endpoint, as `aws lambda invoke` would; T is its payload. */
export async function invoke<T = unknown>(
  functionName: string,
  event: unknown,
): Promise<{ error?: string; payload: T }> {
  const url = `${required('MOOP_TEST_LAMBDA_URL')}/2015-03-31/functions/moop-resource-service-dev-${functionName}/invocations`;
  const response = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(event),
    headers: { 'content-type': 'application/json' },
  });
  const payload = (await response.json()) as T;
  const error = response.headers.get('x-amz-function-error') ?? undefined;
  return error ? { error, payload } : { payload };
}

/** Asks the fake tenant service to forget a tenant, as if the school had left MOOP. */
export async function removeTenant(id: string): Promise<void> {
  await fetch(`${new URL(required('MOOP_TEST_TENANT_SERVICE_URL')).origin}/__tenants/${encodeURIComponent(id)}`, {
    method: 'DELETE',
  });
}
