import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { API_CORS, corsAllowOrigins } from '../functions/src/handlers/http/cors.ts';
import { HTTP_API_INTEGRATION_TIMEOUT_MS, HTTP_API_MAX_PAYLOAD_BYTES, LAMBDA_SYNC_PAYLOAD_BYTES } from '../functions/src/lib/limits.ts';
import { isCorsPreflight } from '../functions/src/lib/cors-preflight.ts';
import { DEFAULT_ROUTE, HTTP_ROUTES, routeKey } from '../functions/src/handlers/http/routes.ts';
import { createRouteMatcher } from './route-matcher.ts';

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

export interface GatewayOptions {
  loadHandler?: (name: string) => Promise<LambdaHandler>;
  /**
   * Origins the API's CORS configuration allows (see `API_CORS`), as `corsPreflight` does in AWS.
   * @default the origin of `RUNWAY_CONSOLE_URL` when set, else none
   */
  allowOrigins?: readonly string[];
  /** How long an integration may run before the client gets 503. @default 30 s, the HTTP API quota */
  integrationTimeoutMs?: number;
}

/**
 * Local stand-in for API Gateway (HTTP API, payload format 2.0): matches the request against the
 * shared route table, builds the same event API Gateway would, and calls the real handler export
 * in-process. Handler modules are imported once, on first use, like a Lambda cold start.
 *
 * It is no more lenient than AWS (functions/src/lib/limits.ts): a body above 10 MB, an
 * event above Lambda's 6 MB invoke payload (a binary body counts base64-encoded) and an
 * integration running past 30 s fail as they do there. Requests no route matches go to the
 * `$default` route (DEFAULT_ROUTE), preflights included, as API Gateway routes them; CORS headers
 * come from the same definition as the HTTP API's `corsPreflight` and are put on the handler's
 * answer, and CORS headers a handler sets are dropped, as API Gateway ignores them.
 */
export function createGateway(options: GatewayOptions = {}): http.Server {
  const load = options.loadHandler ?? defaultLoader;
  const cache = new Map<string, Promise<LambdaHandler>>();
  const matchRoute = createRouteMatcher(HTTP_ROUTES);
  const allowOrigins = new Set(options.allowOrigins ?? (process.env.RUNWAY_CONSOLE_URL ? corsAllowOrigins(new URL(process.env.RUNWAY_CONSOLE_URL).origin) : []));
  const timeoutMs = options.integrationTimeoutMs ?? HTTP_API_INTEGRATION_TIMEOUT_MS;

  const server = http.createServer(async (req, res) => {
    try {
      const url = parseTarget(req.url);
      if (!url) return send(res, 400, { error: { code: 'bad_request', message: 'The request target is not a valid path' } });
      const method = (req.method ?? 'GET').toUpperCase();
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > HTTP_API_MAX_PAYLOAD_BYTES) return send(res, 413, { message: 'Request Entity Too Large' });
        chunks.push(chunk as Buffer);
      }
      // Routed as API Gateway routes them once the API has a `$default` route (it has:
      // DEFAULT_ROUTE): a preflight is a request like any other. No route of the table is an
      // OPTIONS route, so it reaches the `$default` route's handler, which answers it 204; the
      // configured CORS headers are added to that answer below (functions/src/handlers/http/cors.ts).
      const match = matchRoute(method, url.pathname);
      const target = match
        ? { key: routeKey(match.route), handler: match.route.handler, params: match.params }
        : { key: DEFAULT_ROUTE.key, handler: DEFAULT_ROUTE.handler, params: {} };
      let handler = cache.get(target.handler);
      if (!handler) {
        handler = load(target.handler);
        cache.set(target.handler, handler);
      }
      const { key } = target;
      const event = toEvent(req, url, key, target.params, Buffer.concat(chunks));
      const payloadBytes = Buffer.byteLength(JSON.stringify(event));
      if (payloadBytes > LAMBDA_SYNC_PAYLOAD_BYTES) {
        // Lambda refuses the invoke (RequestEntityTooLargeException) before any code runs; the
        // client gets 413 {"message":"Request Too Long"} (as observed on API Gateway, e.g.
        // https://github.com/koki-develop/lgtm-generator/issues/10).
        console.error(`[gateway] ${key}: the event is ${payloadBytes} bytes, over Lambda's ${LAMBDA_SYNC_PAYLOAD_BYTES}-byte invoke payload; AWS refuses this request`);
        return send(res, 413, { message: 'Request Too Long' });
      }
      const invoked = (await handler)(event, lambdaContext(target.handler, event.requestContext.requestId));
      const result = await withTimeout(invoked, timeoutMs);
      if (result === TIMED_OUT) {
        console.error(`[gateway] ${key}: no answer within ${timeoutMs} ms, the HTTP API's integration timeout`);
        return send(res, 503, { message: 'Service Unavailable' });
      }
      const cors = isCorsPreflight(method, req.headers) ? preflightHeaders(req, allowOrigins) : corsHeaders(req.headers.origin, allowOrigins);
      writeResult(res, result, cors);
    } catch (error) {
      // API Gateway answers a failed integration with 500 and this body; the cause is in our log.
      console.error('[gateway] integration error', error);
      if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' });
      else res.end();
    }
  });
  // A request Node cannot parse (bad framing, a body without a length, oversized headers) never
  // reaches a handler: answer it with the error shape too, instead of Node's bare 400.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return void socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({ error: { code: status === 431 ? 'headers_too_large' : 'bad_request', message: 'The request is not valid HTTP/1.1' } });
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  return server;
}

/** The request target as a URL, or undefined when it is not one (API Gateway refuses those itself). */
function parseTarget(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://gateway');
  } catch {
    return undefined;
  }
}

async function defaultLoader(name: string): Promise<LambdaHandler> {
  const mod = (await import(`../functions/src/handlers/http/${name}.ts`)) as { handler: LambdaHandler };
  return mod.handler;
}

const TEXT_TYPES = /^(application\/(json|x-www-form-urlencoded|xml|javascript)|text\/)/i;

function toEvent(req: http.IncomingMessage, url: URL, key: string, params: Record<string, string>, body: Buffer): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const cookies = req.headers.cookie?.split(/;\s*/).filter(Boolean);
  const isText = TEXT_TYPES.test(headers['content-type'] ?? '');
  const now = new Date();
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey: key,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(params).length ? { pathParameters: params } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: key,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !isText } : { isBase64Encoded: false }),
  };
}

/** A Lambda context as the runtime passes it (30 s deadline), for handlers called in-process. */
export function lambdaContext(name: string, requestId: string): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `runway-local-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:runway-local-${name}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/runway-local-${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

const TIMED_OUT = Symbol('timed out');

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function writeResult(res: http.ServerResponse, result: APIGatewayProxyResultV2, cors: Record<string, string>): void {
  // A bare string or object result is what API Gateway would JSON-encode with status 200.
  const structured: APIGatewayProxyStructuredResultV2 =
    typeof result === 'object' && result !== null && 'statusCode' in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : { statusCode: 200, body: typeof result === 'string' ? result : JSON.stringify(result), headers: { 'content-type': 'application/json' } };
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(structured.headers ?? {})) {
    // Middlewares "remove" a header by setting it undefined; API Gateway drops those, and the
    // integration's own CORS headers when CORS is configured.
    if (v !== undefined && v !== null && !/^access-control-/i.test(k)) headers[k.toLowerCase()] = String(v);
  }
  Object.assign(headers, cors);
  if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
  const body = structured.body === undefined ? Buffer.alloc(0) : Buffer.from(structured.body, structured.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(structured.statusCode ?? 200, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/**
 * The CORS headers API Gateway puts on the answer to a preflight, from `API_CORS` as the HTTP
 * API's `corsPreflight` holds it: the `Access-Control-Allow-*` headers only when the origin, the
 * method and every requested header are allowed, so the browser refuses anything else
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html). The status
 * is the `$default` route's handler's (204).
 */
function preflightHeaders(req: http.IncomingMessage, allowOrigins: ReadonlySet<string>): Record<string, string> {
  const origin = req.headers.origin ?? '';
  const method = String(req.headers['access-control-request-method']).toUpperCase();
  const requested = String(req.headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const allowed =
    allowOrigins.has(origin) &&
    (API_CORS.allowMethods as readonly string[]).includes(method) &&
    requested.every((h) => (API_CORS.allowHeaders as readonly string[]).includes(h));
  if (!allowed) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': API_CORS.allowMethods.join(','),
    'access-control-allow-headers': API_CORS.allowHeaders.join(','),
    'access-control-max-age': String(API_CORS.maxAgeSeconds),
  };
}

/** The CORS headers API Gateway adds to an integration's response for an allowed origin. */
function corsHeaders(origin: string | undefined, allowOrigins: ReadonlySet<string>): Record<string, string> {
  if (!origin || !allowOrigins.has(origin)) return {};
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': API_CORS.exposeHeaders.join(',') };
}
