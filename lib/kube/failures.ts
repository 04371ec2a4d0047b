// The one switch that turns Kubernetes API and network failures into the contract's domain errors.
import {
  ConflictError,
  NotFoundError,
  TemplateError,
  UnavailableError,
  UpstreamError,
  UpstreamTimeoutError,
  type ServiceError,
} from '../errors.ts';

/** The API server's Status object, as far as this service reads it. */
export interface KubeStatus {
  kind?: string;
  message?: string;
  reason?: string;
  details?: { name?: string; kind?: string; causes?: { field?: string; message?: string; reason?: string }[] };
}

/** Maps an API server's non-2xx answer to a domain error; `what` names the call for the message. */
export function kubeFailure(httpStatus: number, body: unknown, what: string): ServiceError {
  const status: KubeStatus = body && typeof body === 'object' ? (body as KubeStatus) : { message: String(body ?? '') };
  const message = status.message || `HTTP ${httpStatus}`;
  const cause = { httpStatus, status };
  // Only a create sends a rendered template; a 400 or 422 to anything else is the API server failing the call.
  switch (httpStatus === 400 || httpStatus === 422 ? (/^POST\b/.test(what) ? 422 : 0) : httpStatus) {
    case 422:
      return new TemplateError(`The Kubernetes API server rejected the rendered object: ${message}`, {
        code: 'TEMPLATE_REJECTED',
        details: status.details?.causes?.map((c) => ({ field: c.field, message: c.message })),
        cause,
      });
    case 404:
      return new NotFoundError(`Not found: ${message}`, { code: 'NOT_FOUND', cause });
    case 409:
      return new ConflictError(`Conflict: ${message}`, { code: status.reason === 'AlreadyExists' ? 'ALREADY_EXISTS' : 'CONFLICT', cause });
    case 403:
      if (/being terminated/.test(message)) {
        return new ConflictError(`The tenant's namespace is being deleted: ${message}`, { code: 'NAMESPACE_TERMINATING', cause });
      }
      return new UpstreamError(`The Kubernetes API server refused the service's account: ${message}`, { code: 'KUBERNETES_FORBIDDEN', cause });
    case 429:
    case 503:
      return new UnavailableError(`The Kubernetes API server is not ready or overloaded; retry shortly: ${message}`, { code: 'KUBERNETES_UNAVAILABLE', cause });
    case 504:
      return new UpstreamTimeoutError(`The Kubernetes API server timed out: ${message}`, { code: 'KUBERNETES_TIMEOUT', cause });
    default:
      return new UpstreamError(`The Kubernetes API server failed ${what} (HTTP ${httpStatus}): ${message}`, { code: 'KUBERNETES_FAILED', cause });
  }
}

const timeoutCodes = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Maps a failure to reach the API server (refused, reset, TLS, time limit) to 503 or 504. */
export function kubeNetworkFailure(err: unknown, server: string): ServiceError {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  if (e.name === 'TimeoutError' || (code && timeoutCodes.has(code))) {
    return new UpstreamTimeoutError(`The Kubernetes API server at ${server} did not answer in time`, { code: 'KUBERNETES_TIMEOUT', cause: err });
  }
  return new UnavailableError(`The Kubernetes API server at ${server} cannot be reached (${code ?? e.message ?? 'network error'})`, {
    code: 'KUBERNETES_UNAVAILABLE',
    cause: err,
  });
}
