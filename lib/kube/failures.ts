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

/** An API server's non-2xx answer, as the client received it. */
export interface KubeAnswer {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  status: number;
  /** The parsed body: usually a Status, else the text. */
  body: unknown;
}

/** What the client knows around an answer that the answer itself does not say. */
export interface AnswerContext {
  /** The kind a discovery request was made for, for its message. */
  kind?: string;
  /** The EKS cluster whose token (minted from the function's role) was presented. */
  eksCluster?: string;
  /** When the bearer token presented expires, if it is a JWT. */
  tokenExpiry?: Date;
  /**
   * Whether /readyz answered 200, asked after a 403 or a 500 (a starting server refuses before its authorizer syncs).
   */
  ready?: boolean;
  /** The API server's address, for messages. */
  server?: string;
  now?: number;
}

interface Answered {
  status: KubeStatus;
  message: string;
  cause: { httpStatus: number; status: KubeStatus };
  write: boolean;
  what: string;
}

const discovery = /^\/(api\/[^/]+|apis\/[^/]+\/[^/]+)$/;

/**
 * A refusal of the credentials (401): an EKS token the cluster did not accept, a token past its expiry, or any other.
 */
function credentialsRefused(a: Answered, context: AnswerContext): ServiceError {
  if (context.eksCluster) {
    return new UpstreamError(
      `The EKS cluster ${context.eksCluster} did not accept the token minted from the function's IAM role: give the role an access entry in the group moop:resource-service (README, EKS).`,
      { code: 'KUBERNETES_CREDENTIALS_REJECTED', cause: a.cause },
    );
  }
  if (context.tokenExpiry && context.tokenExpiry.getTime() <= (context.now ?? Date.now())) {
    return new UpstreamError(
      `The service's Kubernetes token expired at ${context.tokenExpiry.toISOString()}: make a new one and put it in the kubeconfig (or its secret); README, Deploying, step 1.`,
      { code: 'KUBERNETES_TOKEN_EXPIRED', cause: a.cause },
    );
  }
  return new UpstreamError(
    `The Kubernetes API server rejected the service's credentials (expired or revoked): rotate the kubeconfig (KUBECONFIG or its secret). ${a.message}`,
    { code: 'KUBERNETES_CREDENTIALS_REJECTED', cause: a.cause },
  );
}

/** A 403: a namespace nobody prepared, one being deleted, a policy, a quota, or RBAC refusing the service's account. */
function forbidden(a: Answered): ServiceError {
  const namespace = rbacNamespace.exec(a.message)?.[1];
  if (namespace !== undefined) {
    return new PolicyError(
      `Namespace ${namespace} is not prepared for the MOOP resource service: an operator runs npm run prepare-tenant -- --tenant <id> (README, Tenant namespaces). ${a.message}`,
      { code: 'NAMESPACE_NOT_PREPARED', cause: a.cause },
    );
  }
  const refusedBy = refusal(a.status);
  if (refusedBy === 'namespaceTerminating') {
    return new ConflictError(`The tenant's namespace is being deleted: ${a.message}`, {
      code: 'NAMESPACE_TERMINATING',
      cause: a.cause,
    });
  }
  const rbac = new UpstreamError(`The Kubernetes API server refused the service's account: ${a.message}`, {
    code: 'KUBERNETES_FORBIDDEN',
    cause: a.cause,
  });
  // Admission never judges a read: a refused read is RBAC's.
  if (!a.write) return rbac;
  if (refusedBy === 'admissionPolicy') return policyRefusal(a);
  if (quotaRefusal.test(a.message))
    return new ConflictError(`The tenant's namespace has used up a quota: ${a.message}`, {
      code: 'QUOTA_EXCEEDED',
      cause: a.cause,
    });
  // Left: Pod Security and webhooks (a policy), or RBAC.
  return rbacRefusal.test(a.message) ? rbac : policyRefusal(a);
}

const policyRefusal = (a: Answered): ServiceError =>
  new PolicyError(`A policy of the cluster refused the request: ${a.message}`, {
    code: 'REFUSED_BY_POLICY',
    cause: a.cause,
  });

/** A 400 or 422: a policy's refusal of a write, else the API server's validation of what a create sent (a template). */
function invalid(a: Answered, method: KubeAnswer['method']): ServiceError | undefined {
  if (a.write && (refusal(a.status) === 'admissionPolicy' || webhookRefusal.test(a.message))) return policyRefusal(a);
  // Only a create sends a rendered template; a 400 or 422 to anything else is the API server failing the call.
  if (method !== 'POST') return undefined;
  return new TemplateError(`The Kubernetes API server rejected the rendered object: ${a.message}`, {
    code: 'TEMPLATE_REJECTED',
    details: a.status.details?.causes?.map((c) => ({ field: c.field, message: c.message })),
    cause: a.cause,
  });
}

/** A kind the API server does not serve: its group version is unknown (a 404), or its discovery list lacks the kind. */
export function unknownKind(apiVersion: string, kind: string): TemplateError {
  return new TemplateError(`The Kubernetes API server serves no kind "${kind}" in ${apiVersion}.`, {
    code: 'TEMPLATE_UNKNOWN_KIND',
  });
}

/** A 2xx answer whose body is not the JSON object every API answer is (a proxy's page, a truncated body). */
export function invalidAnswer(answer: { method: string; path: string; text: string }): UpstreamError {
  return new UpstreamError(
    `The Kubernetes API server answered ${answer.method} ${answer.path} with something that is not JSON: "${cut(answer.text, 120)}".`,
    {
      code: 'KUBERNETES_INVALID_ANSWER',
    },
  );
}

/**
 * A 404: a kind the server does not serve (discovery), a create in a namespace that does not exist, or no such object.
 */
function notFound(a: Answered, answer: KubeAnswer, context: AnswerContext): ServiceError {
  if (answer.method === 'GET' && discovery.test(answer.path))
    return unknownKind(answer.path.replace(/^\/apis?\//, ''), context.kind ?? '?');
  // The Status names what was not found: for a create, only its namespace can be.
  if (answer.method === 'POST' && a.status.details?.kind === 'namespaces') {
    return new NotFoundError(
      `Namespace ${a.status.details.name} does not exist; the tenant's namespace must be created first.`,
      {
        code: 'NAMESPACE_NOT_FOUND',
        cause: a.cause,
      },
    );
  }
  return new NotFoundError(`Not found: ${a.message}`, { code: 'NOT_FOUND', cause: a.cause });
}

/** Maps an API server's non-2xx answer, and what the client knows around it, to a domain error: the one switch. */
export function kubeFailure(answer: KubeAnswer, context: AnswerContext = {}): ServiceError {
  const status: KubeStatus =
    answer.body && typeof answer.body === 'object'
      ? (answer.body as KubeStatus)
      : { message: String(answer.body ?? '') };
  const what = `${answer.method} ${answer.path}`;
  const message = cut(status.message || `HTTP ${answer.status}`);
  const a: Answered = {
    status,
    message,
    cause: { httpStatus: answer.status, status },
    write: answer.method !== 'GET',
    what,
  };
  if ((answer.status === 403 || answer.status === 500) && context.ready === false) {
    return new UnavailableError(
      `The Kubernetes API server at ${context.server} is starting and not ready yet; retry shortly.`,
      {
        code: 'KUBERNETES_UNAVAILABLE',
        cause: a.cause,
      },
    );
  }
  switch (answer.status) {
    case 400:
    case 422:
      return invalid(a, answer.method) ?? failed(a, answer.status);
    case 401:
      return credentialsRefused(a, context);
    case 403:
      return forbidden(a);
    case 404:
      return notFound(a, answer, context);
    case 409:
      return new ConflictError(`Conflict: ${message}`, {
        code: status.reason === 'AlreadyExists' ? 'ALREADY_EXISTS' : 'CONFLICT',
        cause: a.cause,
      });
    case 410:
      // A paged list whose continue token outlived the API server's history: the caller starts the list again.
      return new UpstreamError(`The Kubernetes API server expired the list being paged: ${message}`, {
        code: 'LIST_EXPIRED',
        cause: a.cause,
      });
    case 429:
    case 503:
      return new UnavailableError(`The Kubernetes API server is not ready or overloaded; retry shortly: ${message}`, {
        code: 'KUBERNETES_UNAVAILABLE',
        cause: a.cause,
      });
    case 504:
      return new UpstreamTimeoutError(`The Kubernetes API server timed out: ${message}`, {
        code: 'KUBERNETES_TIMEOUT',
        cause: a.cause,
      });
  }
  return failed(a, answer.status);
}

const failed = (a: Answered, httpStatus: number): ServiceError =>
  new UpstreamError(`The Kubernetes API server failed ${a.what} (HTTP ${httpStatus}): ${a.message}`, {
    code: 'KUBERNETES_FAILED',
    cause: a.cause,
  });

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

const timeoutCodes = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

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
    return new UpstreamTimeoutError(`The Kubernetes API server at ${server} did not answer in time`, {
      code: 'KUBERNETES_TIMEOUT',
      cause: err,
    });
  }
  return new UnavailableError(
    `The Kubernetes API server at ${server} cannot be reached (${code ?? e.message ?? 'network error'})`,
    {
      code: 'KUBERNETES_UNAVAILABLE',
      cause: err,
    },
  );
}
