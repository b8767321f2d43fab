import middy, { type MiddlewareObj } from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import { createError } from '@middy/util';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { DomainError, NotFoundError, PayloadTooLargeError, ValidationError } from '#core/errors';
import { isPageSchema } from '#core/page';
import { INTERNAL_ERROR, toHttpError } from '#lib/http-errors';
import { metrics } from '#lib/metrics';
import { hasMalformedEscape } from '#lib/path-parameters';
import { logger } from '#lib/powertools';

/** Default cap on JSON request bodies. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** What a route handler sees: validated params, query and body, plus the raw event. */
export interface RouteRequest<P, Q, B, A> {
  params: P;
  query: Q;
  body: B;
  /** Authentication result when the route requires it. */
  auth: A;
  event: APIGatewayProxyEventV2;
  context: Context;
  /** Raw body bytes, for routes that take non-JSON bodies (`rawBody: true`). */
  rawBody: Buffer;
}

/** What a route handler returns. `body` is serialized as JSON unless `raw` is given. */
export interface RouteResult {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A pre-encoded body (text), sent as is with the given content-type header. */
  raw?: string;
}

export interface RouteDef<P = unknown, Q = unknown, B = unknown, A = unknown> {
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Accept a non-JSON body; the handler reads `rawBody`. */
  rawBody?: boolean;
  /** Largest accepted body in bytes. @default DEFAULT_MAX_BODY_BYTES */
  maxBodyBytes?: number;
  /** Whether the route needs a bearer token. */
  auth: 'public' | 'token';
  /**
   * What the caller's role must allow, checked by the module's authenticator before anything is
   * parsed or loaded. @default 'read' for GET, 'write' for every other method
   */
  access?: 'read' | 'write' | 'admin';
  /** OpenAPI: one line on what the route does. */
  summary?: string;
  /** OpenAPI: the success status and the schema of its body (none: empty body). */
  responds?: { status: number; body?: z.ZodType };
  handler: (req: RouteRequest<P, Q, B, A>) => Promise<RouteResult>;
}

/** Declares a route with inferred types (identity at runtime). */
export function route<P = undefined, Q = undefined, B = undefined, A = undefined>(
  def: RouteDef<P, Q, B, A>,
): RouteDef<P, Q, B, A> {
  return def;
}

/**
 * Resolves the caller of a token-authenticated route and checks the route's `access`; throws
 * `UnauthorizedError` / `ForbiddenError`.
 */
export type Authenticator<A> = (event: APIGatewayProxyEventV2, route: RouteDef<any, any, any, any>) => Promise<A>;

export interface HttpHandlerOptions<A> {
  authenticate?: Authenticator<A>;
  /** Seals and opens list cursors (lib/cursor.ts), for modules with list routes. */
  cursors?: CursorSealer;
}

/** How list cursors leave and come back: sealed for one list's `scope`, opened only in it. */
export interface CursorSealer {
  seal(cursor: string, scope: string): Promise<string>;
  /** @throws ValidationError `invalid_cursor` */
  open(sealed: string, scope: string): Promise<string>;
}

export type AnyRoute = RouteDef<any, any, any, any>;

/**
 * Builds the Lambda handler of one HTTP module: Powertools logging and metrics, security
 * headers, a correlation id header, the one error mapping, then dispatch on `routeKey`
 * with zod validation of params, query and body.
 */
export function httpHandler<A>(routes: Record<string, AnyRoute>, options: HttpHandlerOptions<A> = {}) {
  const dispatch = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const def = routes[event.routeKey];
    if (!def) throw new NotFoundError('route_not_found', `No route ${event.routeKey}`);
    metrics.addMetric('Requests', MetricUnit.Count, 1);
    const rawBody = decodeBody(event, def.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    const auth = def.auth === 'token' ? await requireAuthenticator(options)(event, def) : undefined;
    const params = parse(def.params, pathParameters(event), 'path');
    let query = parse(def.query, event.queryStringParameters ?? {}, 'query');
    const body = def.rawBody ? undefined : parse(def.body, parseJsonBody(event, rawBody, def.body !== undefined), 'body');
    const scope = isPaged(def) ? listScope(event, params, query, auth) : undefined;
    const cursor = (query as { cursor?: unknown } | undefined)?.cursor;
    if (scope && typeof cursor === 'string') query = { ...query, cursor: await requireCursors(options).open(cursor, scope) };
    const result = await def.handler({ params, query, body, auth, event, context, rawBody });
    const next = (result.body as { next?: unknown } | undefined)?.next;
    if (scope && typeof next === 'string') result.body = { ...(result.body as object), next: await requireCursors(options).seal(next, scope) };
    return toResponse(result);
  };

  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    // Never log the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it carries bearer tokens and env values.
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(logMetrics(metrics))
    .use(correlationId())
    .use(httpSecurityHeaders())
    // No CORS here: the HTTP API answers it from handlers/http/cors.ts and ignores a Lambda's CORS headers.
    .use(httpErrorHandler({ logger: false, fallbackMessage: JSON.stringify(INTERNAL_ERROR) }))
    .use(errorMapper())
    .use(httpHeaderNormalizer())
    .handler(dispatch);
}

/** Whether a route answers a list page, whose cursors the API seals. */
export function isPaged(def: AnyRoute): boolean {
  return isPageSchema(def.responds?.body);
}

/**
 * What a list cursor is bound to: the route, its path parameters, its filters and the caller's
 * team. A cursor opens only in the very list it came from.
 */
function listScope(event: APIGatewayProxyEventV2, params: unknown, query: unknown, auth: unknown): string {
  const { cursor: _, limit: __, ...filters } = (query ?? {}) as Record<string, unknown>;
  const teamId = (auth as { teamId?: unknown } | undefined)?.teamId;
  return JSON.stringify([event.routeKey, params ?? {}, filters, typeof teamId === 'string' ? teamId : null]);
}

function requireCursors<A>(options: HttpHandlerOptions<A>): CursorSealer {
  if (!options.cursors) throw new Error('A list route in a module without a cursor sealer would hand out raw cursors');
  return options.cursors;
}

function requireAuthenticator<A>(options: HttpHandlerOptions<A>): Authenticator<A> {
  if (!options.authenticate) throw new Error('Route requires a token but the module has no authenticator');
  return options.authenticate;
}

function parse<T>(schema: z.ZodType<T> | undefined, input: unknown, where: 'path' | 'query' | 'body'): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError('validation_failed', `Invalid request ${where}`, {
    issues: result.error.issues.map((i) => ({ in: where, path: i.path.join('.'), message: i.message })),
  });
}

/**
 * The event's path parameters; one holding a malformed percent-escape is a 400 (the API's one
 * rule for them: lib/path-parameters.ts).
 */
function pathParameters(event: APIGatewayProxyEventV2): Record<string, string | undefined> {
  const params = event.pathParameters ?? {};
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && hasMalformedEscape(value)) {
      throw new ValidationError('invalid_path_parameter', `The path parameter ${name} holds a malformed percent-escape`, { parameter: name });
    }
  }
  return params;
}

function decodeBody(event: APIGatewayProxyEventV2, maxBytes: number): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  const bytes = Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.length > maxBytes) {
    throw new PayloadTooLargeError('payload_too_large', `Request body exceeds ${maxBytes} bytes`, { limit: maxBytes });
  }
  return bytes;
}

function parseJsonBody(event: APIGatewayProxyEventV2, raw: Buffer, expected: boolean): unknown {
  if (raw.length === 0) return expected ? {} : undefined;
  if (!expected) throw new ValidationError('unexpected_body', 'This route takes no request body');
  const type = event.headers?.['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw createError(415, 'Content-Type must be application/json');
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (cause) {
    throw new ValidationError('invalid_json', 'The request body is not valid JSON', {}, { cause });
  }
}

function toResponse(result: RouteResult): APIGatewayProxyStructuredResultV2 {
  const status = result.status ?? 200;
  if (result.raw !== undefined) return { statusCode: status, headers: result.headers, body: result.raw };
  if (result.body === undefined) return { statusCode: status, headers: result.headers };
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...result.headers },
    body: JSON.stringify(result.body),
  };
}

/** Maps domain and parser errors to exposed HTTP errors with the `{error:{code,message}}` body. */
function errorMapper(): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: async (request) => {
      const mapped = toHttpError(request.error);
      if (mapped) {
        if (mapped.statusCode >= 500) {
          logger.warn('Request failed: a dependency is unavailable or not configured', { status: mapped.statusCode, code: mapped.body.error.code, error: request.error as Error });
        } else if (mapped.statusCode !== 401 && mapped.statusCode !== 404) {
          logger.info('Request rejected', { status: mapped.statusCode, code: mapped.body.error.code });
        }
        // http-error-handler renders statusCode, message and headers of an exposed HttpError.
        request.error = Object.assign(createError(mapped.statusCode, JSON.stringify(mapped.body), { expose: true }), {
          headers: mapped.headers,
        });
        return;
      }
      logger.error('Unhandled error', request.error as Error);
      metrics.addMetric('UnhandledError', MetricUnit.Count, 1);
    },
  };
}

/** Uses the API Gateway request id as the correlation id in logs and the response header. */
function correlationId(): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  const setHeader = async (request: { event: APIGatewayProxyEventV2; response?: APIGatewayProxyStructuredResultV2 | null }) => {
    if (!request.response) return;
    request.response.headers = { ...request.response.headers, 'x-correlation-id': request.event.requestContext.requestId };
  };
  return {
    before: async (request) => {
      logger.setCorrelationId(request.event.requestContext?.requestId);
    },
    after: setHeader,
    onError: setHeader,
  };
}
