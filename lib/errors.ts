// Domain errors: one class per failure kind, each declaring the HTTP status it is answered with and what that status
// means in the OpenAPI document; and every machine code an answer can carry, as one typed list.

/** Every code an error answer can carry; the OpenAPI document shows them as an enum. */
export const errorCodes = [
  // 400
  'INVALID_REQUEST',
  'MALFORMED_JSON',
  'PATH_OUTSIDE_TENANT_FOLDER',
  'INVALID_EVENT',
  // 401
  'UNAUTHORIZED',
  // 404
  'TENANT_NOT_FOUND',
  'OBJECT_NOT_FOUND',
  'CLAIM_NOT_FOUND',
  'OPERATION_NOT_FOUND',
  'SNAPSHOT_NOT_FOUND',
  'TERM_NOT_FOUND',
  'NAMESPACE_NOT_FOUND',
  'NOT_FOUND',
  // 409
  'ALREADY_EXISTS',
  'NAME_TAKEN',
  'CONFLICT',
  'VOLUME_RESERVED',
  'CLAIM_IN_USE',
  'CLAIM_NOT_BOUND',
  'IDEMPOTENCY_KEY_REUSED',
  'QUOTA_EXCEEDED',
  'NAMESPACE_TERMINATING',
  'NAMESPACE_OF_ANOTHER_TENANT',
  'TENANT_STILL_EXISTS',
  // 422
  'TEMPLATE_MISSING',
  'TEMPLATE_INVALID',
  'TEMPLATE_WRONG_KIND',
  'TEMPLATE_UNKNOWN_KIND',
  'TEMPLATE_UNSAFE',
  'TEMPLATE_REJECTED',
  'TENANT_NAMESPACE_INVALID',
  'TENANT_NAMESPACE_RESERVED',
  'REFUSED_BY_POLICY',
  'NAMESPACE_NOT_PREPARED',
  // 500
  'INTERNAL',
  // 502
  'TENANT_SERVICE_FAILED',
  'TENANT_SERVICE_INVALID',
  'TENANT_SERVICE_KEY_REFUSED',
  'KUBERNETES_FAILED',
  'KUBERNETES_FORBIDDEN',
  'KUBERNETES_CREDENTIALS_REJECTED',
  'KUBERNETES_TOKEN_EXPIRED',
  'KUBERNETES_TLS_FAILED',
  'KUBERNETES_INVALID_ANSWER',
  'LIST_EXPIRED',
  // 503
  'KUBERNETES_UNAVAILABLE',
  'KUBERNETES_TOKEN_UNAVAILABLE',
  'TENANT_SERVICE_UNAVAILABLE',
  'SECRET_UNAVAILABLE',
  'SERVICE_MISCONFIGURED',
  'NOTICES_UNPUBLISHED',
  // 504
  'KUBERNETES_TIMEOUT',
  'TENANT_SERVICE_TIMEOUT',
  'DEADLINE_EXCEEDED',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorOptions {
  /** Machine-readable code for callers, e.g. TENANT_NOT_FOUND. */
  code: ErrorCode;
  /** More to say, e.g. which fields failed validation. */
  details?: unknown;
  cause?: unknown;
}

/** Base of every error the service answers with on purpose; each kind declares its status and what it means. */
export abstract class ServiceError extends Error {
  /** The HTTP status the kind is answered with. */
  static readonly status: number;
  /** What the status means, for the OpenAPI document. */
  static readonly description: string;
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(message: string, options: ErrorOptions) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.details = options.details;
  }

  /** The HTTP status of this error's kind. */
  get status(): number {
    return (this.constructor as typeof ServiceError).status;
  }
}

/** The request is malformed or a value can never be valid. */
export class BadRequestError extends ServiceError {
  static override readonly status = 400;
  static override readonly description = 'The request is malformed';
}

/** No or wrong moopkey. */
export class UnauthorizedError extends ServiceError {
  static override readonly status = 401;
  static override readonly description = 'No or wrong moopkey';
}

/** No such tenant, or no such object for this tenant. */
export class NotFoundError extends ServiceError {
  static override readonly status = 404;
  static override readonly description = 'No such tenant, or no such object for this tenant';
}

/** The object exists already, belongs to another tenant, user or tag, or is still in use. */
export class ConflictError extends ServiceError {
  static override readonly status = 409;
  static override readonly description =
    'The object exists, belongs to another owner, or is in use; or a quota of the namespace is used up';
}

/** The tenant's template is missing or renders into something the API server rejects. */
export class TemplateError extends ServiceError {
  static override readonly status = 422;
  static override readonly description =
    "The tenant's template or record is missing, unsafe or renders into something the API server rejects, or a policy of the cluster refused";
}

/** An admission policy of the cluster (Pod Security, a ValidatingAdmissionPolicy, a webhook) refused the request. */
export class PolicyError extends ServiceError {
  static override readonly status = 422;
  static override readonly description = TemplateError.description;
}

/** The tenant service or the API server answered with a failure. */
export class UpstreamError extends ServiceError {
  static override readonly status = 502;
  static override readonly description =
    'The tenant service or the API server answered with a failure, or refused the service';
}

/** The tenant service or the API server cannot be reached, or the service cannot work with its settings. */
export class UnavailableError extends ServiceError {
  static override readonly status = 503;
  static override readonly description =
    'The API server or the tenant service cannot be reached, or the service is misconfigured';
}

/** An upstream call ran past its time limit. */
export class UpstreamTimeoutError extends ServiceError {
  static override readonly status = 504;
  static override readonly description = 'An upstream call ran past its time limit';
}

/**
 * The service's settings describe no usable configuration: thrown at start-up, answered as 503 SERVICE_MISCONFIGURED.
 */
export class ConfigError extends UnavailableError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'SERVICE_MISCONFIGURED', cause: options.cause });
  }
}

/** Every kind, in the order of their statuses: what the error answer and the OpenAPI document are made from. */
export const errorKinds = [
  BadRequestError,
  UnauthorizedError,
  NotFoundError,
  ConflictError,
  TemplateError,
  PolicyError,
  UpstreamError,
  UnavailableError,
  UpstreamTimeoutError,
] as const;
