import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotConfiguredError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnprocessableError,
  ValidationError,
} from '#core/errors';

/** The one mapping of domain errors to HTTP status codes. Order matters: first match wins. */
const STATUS_BY_ERROR: ReadonlyArray<[new (...args: never[]) => DomainError, number]> = [
  [ValidationError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [UnprocessableError, 422],
  [RateLimitedError, 429],
  [NotConfiguredError, 503],
  [ServiceUnavailableError, 503],
];

/** Error body shape of every non-2xx response. */
export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

export interface HttpErrorResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

/** Snake-case codes for HTTP errors raised outside domain code (middy parsers, the router). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'rate_limited',
};

export const INTERNAL_ERROR: ErrorBody = {
  error: { code: 'internal_error', message: 'Something went wrong on our side. Try again, or report the correlation id.' },
};

/**
 * Turns any thrown value into an error response, or `undefined` when it is not a client error
 * (then the caller answers 500 with `INTERNAL_ERROR` and logs the cause; nothing internal leaks).
 */
export function toHttpError(error: unknown): HttpErrorResponse | undefined {
  if (!(error instanceof DomainError) && isDependencyUnavailable(error)) {
    return toHttpError(new ServiceUnavailableError('service_unavailable', 'A service Runway depends on cannot be reached right now; try again shortly', {}, { cause: error }));
  }
  if (error instanceof DomainError) {
    const status = STATUS_BY_ERROR.find(([type]) => error instanceof type)?.[1];
    if (status === undefined) return undefined;
    const headers: Record<string, string> = {};
    if (error instanceof RateLimitedError) headers['Retry-After'] = String(error.retryAfterSeconds);
    if (error instanceof ServiceUnavailableError) headers['Retry-After'] = String(UNAVAILABLE_RETRY_AFTER_SECONDS);
    return { statusCode: status, headers, body: { error: { ...error.details, code: error.code, message: error.message } } };
  }
  // Errors from middy's own http middlewares carry statusCode/expose.
  if (isExposedHttpError(error)) {
    return {
      statusCode: error.statusCode,
      headers: {},
      body: { error: { code: CODE_BY_STATUS[error.statusCode] ?? 'bad_request', message: error.message } },
    };
  }
  return undefined;
}

function isExposedHttpError(e: unknown): e is { statusCode: number; message: string } {
  if (typeof e !== 'object' || e === null) return false;
  const { statusCode, expose } = e as { statusCode?: unknown; expose?: unknown };
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && expose !== false;
}

/** What a 503 for an unreachable dependency asks clients to wait. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Node's codes for a connection that could not be made or was cut (net, dns, undici). */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT',
]);

/**
 * Names AWS SDK v3 gives errors that mean "not now" rather than "not this request": its own
 * timeouts, and the services' unavailable and throttling answers (retryable per
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 */
const UNAVAILABLE_ERROR_NAMES = new Set([
  'TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ServiceUnavailable', 'ServiceUnavailableException',
  'ThrottlingException', 'Throttling', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'SlowDown',
]);

/**
 * True when `error` (or anything in its `cause` chain, or an AggregateError's `errors`) says a
 * dependency could not be reached: the answer is a 503, not a 500, and it passes when the
 * dependency is back.
 */
export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 8) return false;
  const { code, name, cause, errors } = error as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
  if (typeof name === 'string' && UNAVAILABLE_ERROR_NAMES.has(name)) return true;
  if (Array.isArray(errors) && errors.some((e) => isDependencyUnavailable(e, depth + 1))) return true;
  return isDependencyUnavailable(cause, depth + 1);
}
