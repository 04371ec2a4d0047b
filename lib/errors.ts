// Domain errors: one class per failure kind. lib/http/error-response.ts maps each class to its HTTP status.

export interface ErrorOptions {
  /** Machine-readable code for callers, e.g. TENANT_NOT_FOUND. */
  code: string;
  /** More to say, e.g. which fields failed validation. */
  details?: unknown;
  cause?: unknown;
}

/** Base of every error the service answers with on purpose. */
export abstract class ServiceError extends Error {
  readonly code: string;
  readonly details: unknown;

  constructor(message: string, options: ErrorOptions) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.details = options.details;
  }
}

/** The request is malformed or a value can never be valid. */
export class BadRequestError extends ServiceError {}

/** No or wrong moopkey. */
export class UnauthorizedError extends ServiceError {}

/** No such tenant, or no such object for this tenant. */
export class NotFoundError extends ServiceError {}

/** The object exists already, belongs to another tenant, user or tag, or is still in use. */
export class ConflictError extends ServiceError {}

/** The tenant's template is missing or renders into something the API server rejects. */
export class TemplateError extends ServiceError {}

/** An admission policy of the cluster (Pod Security, a ValidatingAdmissionPolicy, a webhook) refused the request. */
export class PolicyError extends ServiceError {}

/** The tenant service or the API server answered with a failure. */
export class UpstreamError extends ServiceError {}

/** The tenant service or the API server cannot be reached. */
export class UnavailableError extends ServiceError {}

/** An upstream call ran past its time limit. */
export class UpstreamTimeoutError extends ServiceError {}
