// The one switch that turns Kubernetes API and network failures into the contract's domain errors.
import {
  ConflictError,
  NotFoundError,
  PolicyError,
  type ServiceError,
  TemplateError,
  UnavailableError,
  UpstreamError,
  UpstreamTimeoutError,
} from '../errors.ts';

/** The API server's Status object, as far as this service reads it. */
export interface KubeStatus {
  kind?: string;
  message?: string;
  reason?: string;
  details?: { name?: string; kind?: string; causes?: { field?: string; message?: string; reason?: string }[] };
}

const maxMessage = 500;

/** text cut to a length a message can carry. */
export function cut(text: string, max = maxMessage): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

const writes = /^(POST|PUT|PATCH|DELETE)\b/;

/** What the Status's own data says refused a request: its causes, as the API server fills them in (Kubernetes 1.36). */
function refusal(status: KubeStatus): 'namespaceTerminating' | 'admissionPolicy' | undefined {
  const causes = status.details?.causes ?? [];
  if (causes.some((c) => c.reason === 'NamespaceTerminating')) return 'namespaceTerminating';
  // A ValidatingAdmissionPolicy (whatever reason it answers with: Invalid, Forbidden) gives its message as a cause with
  // neither reason nor field; field validation's causes always name both.
  if (causes.some((c) => c.reason === undefined && c.field === undefined && c.message)) return 'admissionPolicy';
  return undefined;
}

// Where Kubernetes gives no data, its fixed texts are all there is: RBAC's authorizer, the quota plugin, Pod Security
// and admission webhooks all answer a bare Forbidden (or a webhook's own code) without causes. RBAC names the caller
// ("User ... cannot <verb> resource"), the quota plugin says "exceeded quota", a webhook "denied the request".
const rbacRefusal = /\bcannot \S+ resource\b/;
// RBAC names the namespace of a refused namespaced request: there the service acts only once an operator prepared it.
// (A read of the namespace object itself is phrased alike, and is only ever the service's account lacking the verb.)
const rbacNamespace = /\bcannot \S+ resource "(?!namespaces")[^"]*" .* in the namespace "([^"]+)"/;
const quotaRefusal = /\bexceeded quota\b/;
const webhookRefusal = /admission webhook .* denied the request/;

/** Maps an API server's non-2xx answer to a domain error; `what` names the call (verb and path) for the message. */
export function kubeFailure(httpStatus: number, body: unknown, what: string): ServiceError {
  const status: KubeStatus = body && typeof body === 'object' ? (body as KubeStatus) : { message: String(body ?? '') };
  const message = cut(status.message || `HTTP ${httpStatus}`);
  const cause = { httpStatus, status };
  const write = writes.test(what);
  const refusedBy = refusal(status);
  const policy = (): ServiceError => new PolicyError(`A policy of the cluster refused the request: ${message}`, { code: 'REFUSED_BY_POLICY', cause });
  switch (httpStatus) {
    case 400:
    case 422:
      if (write && (refusedBy === 'admissionPolicy' || webhookRefusal.test(message))) return policy();
      // Only a create sends a rendered template; a 400 or 422 to anything else is the API server failing the call.
      if (/^POST\b/.test(what)) {
        return new TemplateError(`The Kubernetes API server rejected the rendered object: ${message}`, {
          code: 'TEMPLATE_REJECTED',
          details: status.details?.causes?.map((c) => ({ field: c.field, message: c.message })),
          cause,
        });
      }
      break;
    case 401:
      return new UpstreamError(
        `The Kubernetes API server rejected the service's credentials (expired or revoked): rotate the kubeconfig (KUBECONFIG or its secret). ${message}`,
        {
          code: 'KUBERNETES_CREDENTIALS_REJECTED',
          cause,
        },
      );
    case 403:
      if (rbacNamespace.test(message)) {
        const namespace = rbacNamespace.exec(message)![1];
        return new PolicyError(
          `Namespace ${namespace} is not prepared for the MOOP resource service: an operator runs npm run prepare-tenant -- --tenant <id> (README, Tenant namespaces). ${message}`,
          { code: 'NAMESPACE_NOT_PREPARED', cause },
        );
      }
      if (refusedBy === 'namespaceTerminating') {
        return new ConflictError(`The tenant's namespace is being deleted: ${message}`, { code: 'NAMESPACE_TERMINATING', cause });
      }
      // Admission never judges a read: a refused read is RBAC's.
      if (!write) return new UpstreamError(`The Kubernetes API server refused the service's account: ${message}`, { code: 'KUBERNETES_FORBIDDEN', cause });
      if (refusedBy === 'admissionPolicy') return policy();
      if (quotaRefusal.test(message)) return new ConflictError(`The tenant's namespace has used up a quota: ${message}`, { code: 'QUOTA_EXCEEDED', cause });
      // Left: Pod Security and webhooks (a policy), or RBAC.
      if (!rbacRefusal.test(message)) return policy();
      return new UpstreamError(`The Kubernetes API server refused the service's account: ${message}`, { code: 'KUBERNETES_FORBIDDEN', cause });
    case 404:
      return new NotFoundError(`Not found: ${message}`, { code: 'NOT_FOUND', cause });
    case 409:
      return new ConflictError(`Conflict: ${message}`, { code: status.reason === 'AlreadyExists' ? 'ALREADY_EXISTS' : 'CONFLICT', cause });
    case 410:
      // A paged list whose continue token outlived the API server's history: the caller starts the list again.
      return new UpstreamError(`The Kubernetes API server expired the list being paged: ${message}`, { code: 'LIST_EXPIRED', cause });
    case 429:
    case 503:
      return new UnavailableError(`The Kubernetes API server is not ready or overloaded; retry shortly: ${message}`, { code: 'KUBERNETES_UNAVAILABLE', cause });
    case 504:
      return new UpstreamTimeoutError(`The Kubernetes API server timed out: ${message}`, { code: 'KUBERNETES_TIMEOUT', cause });
  }
  return new UpstreamError(`The Kubernetes API server failed ${what} (HTTP ${httpStatus}): ${message}`, { code: 'KUBERNETES_FAILED', cause });
}

// Node's codes for a server certificate that does not verify against the kubeconfig's CA and server name.
const tlsCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const timeoutCodes = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Maps a failure to reach the API server (refused, reset, TLS, time limit) to 503 or 504. */
export function kubeNetworkFailure(err: unknown, server: string): ServiceError {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  if (code && tlsCodes.has(code)) {
    return new UpstreamError(
      `TLS verification of the Kubernetes API server at ${server} failed (${code}): the kubeconfig's certificate-authority or tls-server-name does not match the server.`,
      { code: 'KUBERNETES_TLS_FAILED', cause: err },
    );
  }
  if (e.name === 'TimeoutError' || (code && timeoutCodes.has(code))) {
    return new UpstreamTimeoutError(`The Kubernetes API server at ${server} did not answer in time`, { code: 'KUBERNETES_TIMEOUT', cause: err });
  }
  return new UnavailableError(`The Kubernetes API server at ${server} cannot be reached (${code ?? e.message ?? 'network error'})`, {
    code: 'KUBERNETES_UNAVAILABLE',
    cause: err,
  });
}
