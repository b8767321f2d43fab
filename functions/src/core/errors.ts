/**
 * Domain errors. Domain code throws these; one table in `lib/http-errors.ts` maps them to HTTP.
 * `code` is the stable snake_case code clients switch on; `details` are safe to show.
 * Plain fields, no parameter properties: the builder (which imports the routing compiler, and so
 * these) also runs as TypeScript under Node's type stripping, which refuses them.
 */
export class DomainError extends Error {
  override name = 'DomainError';
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

/** The request is malformed or fails its schema. */
export class ValidationError extends DomainError {
  override name = 'ValidationError';
}
/** The named thing does not exist, or the caller may not know it exists. */
export class NotFoundError extends DomainError {
  override name = 'NotFoundError';
}
/** The request conflicts with current state (name taken, version changed, wrong state). */
export class ConflictError extends DomainError {
  override name = 'ConflictError';
}
/** The request is well formed but cannot be carried out in the current state. */
export class UnprocessableError extends DomainError {
  override name = 'UnprocessableError';
}
/** Missing, malformed, expired or revoked credentials. */
export class UnauthorizedError extends DomainError {
  override name = 'UnauthorizedError';
}
/** Authenticated, but the role does not allow this. */
export class ForbiddenError extends DomainError {
  override name = 'ForbiddenError';
}
/** Too many requests for this token; `retryAfterSeconds` goes into `Retry-After`. */
export class RateLimitedError extends DomainError {
  override name = 'RateLimitedError';
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('rate_limited', `Too many requests; retry after ${retryAfterSeconds} s`, { retryAfterSeconds });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
/** The body is larger than the route accepts. */
export class PayloadTooLargeError extends DomainError {
  override name = 'PayloadTooLargeError';
}
/** A part of the platform this request needs is not set up by the operator (e.g. the GitHub App). */
export class NotConfiguredError extends DomainError {
  override name = 'NotConfiguredError';
}
/** A service the platform depends on (storage, keys) cannot be reached right now: retry later. */
export class ServiceUnavailableError extends DomainError {
  override name = 'ServiceUnavailableError';
}
/** GitHub refused a request for good (400/401/403/404/409/422): retrying will not help. */
export class GitHubRejectedError extends UnprocessableError {
  override name = 'GitHubRejectedError';
}
