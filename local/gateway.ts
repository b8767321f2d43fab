import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { HTTP_ROUTES, routeKey } from '../functions/src/handlers/http/routes.ts';
import { createRouteMatcher } from './route-matcher.ts';

/** API Gateway HTTP APIs refuse request bodies above 10 MB. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/**
 * Local stand-in for API Gateway (HTTP API, payload format 2.0): matches the request against the
 * shared route table, builds the same event API Gateway would, and calls the real handler export
 * in-process. Handler modules are imported once, on first use, like a Lambda cold start.
 */
export function createGateway(options: { loadHandler?: (name: string) => Promise<LambdaHandler> } = {}): http.Server {
  const load = options.loadHandler ?? defaultLoader;
  const cache = new Map<string, Promise<LambdaHandler>>();
  const matchRoute = createRouteMatcher(HTTP_ROUTES);

  return http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://gateway');
      const method = (req.method ?? 'GET').toUpperCase();
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_PAYLOAD_BYTES) return send(res, 413, { message: 'Request Entity Too Large' });
        chunks.push(chunk as Buffer);
      }
      if (method === 'OPTIONS') return preflight(req, res);
      const match = matchRoute(method, url.pathname);
      if (!match) return send(res, 404, { message: 'Not Found' });
      let handler = cache.get(match.route.handler);
      if (!handler) {
        handler = load(match.route.handler);
        cache.set(match.route.handler, handler);
      }
      const event = toEvent(req, url, routeKey(match.route), match.params, Buffer.concat(chunks));
      const result = await (await handler)(event, lambdaContext(match.route.handler, event.requestContext.requestId));
      writeResult(res, result);
    } catch (error) {
      // API Gateway answers a failed integration with 500 and this body; the cause is in our log.
      console.error('[gateway] integration error', error);
      if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' });
      else res.end();
    }
  });
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

function writeResult(res: http.ServerResponse, result: APIGatewayProxyResultV2): void {
  // A bare string or object result is what API Gateway would JSON-encode with status 200.
  const structured: APIGatewayProxyStructuredResultV2 =
    typeof result === 'object' && result !== null && 'statusCode' in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : { statusCode: 200, body: typeof result === 'string' ? result : JSON.stringify(result), headers: { 'content-type': 'application/json' } };
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(structured.headers ?? {})) {
    // Middlewares "remove" a header by setting it undefined; API Gateway drops those.
    if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
  }
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

/** CORS preflight, as the HTTP API's CORS configuration answers it. */
function preflight(req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(204, {
    'access-control-allow-origin': req.headers.origin ?? '*',
    'access-control-allow-methods': 'GET,POST,PUT,PATCH,DELETE,OPTIONS',
    'access-control-allow-headers': 'authorization,content-type,if-match,x-runway-digest',
    'access-control-max-age': '600',
  });
  res.end();
}
