import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { API_CORS } from '../../../functions/src/handlers/http/cors.ts';
import { handler as notFound } from '../../../functions/src/handlers/http/not-found.ts';
import { DEFAULT_ROUTE } from '../../../functions/src/handlers/http/routes.ts';
import { HTTP_API_MAX_PAYLOAD_BYTES, LAMBDA_SYNC_PAYLOAD_BYTES } from '../../../functions/src/lib/limits.ts';
import { createGateway } from '../../../local/gateway.ts';

/**
 * The local gateway against stub handlers (no emulator) and the real `$default` route handler
 * (not-found, which reads nothing): it must refuse what API Gateway and Lambda refuse, route
 * what no route matches (preflights included) to `$default` as API Gateway does, and put CORS
 * headers from the same definition as the HTTP API's `corsPreflight` on the answers.
 */
const CONSOLE = 'http://console.test:4002';
const invoked: APIGatewayProxyEventV2[] = [];
let hang = false;
/** Route keys of the events the `$default` route's handler got. */
const routedToDefault: string[] = [];

async function stub(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> {
  invoked.push(event);
  if (hang) return new Promise(() => {});
  // A handler's own CORS headers, which API Gateway ignores when CORS is configured.
  return { statusCode: 200, headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*' }, body: '{"ok":true}' };
}

let server: http.Server;
let base: string;
beforeAll(async () => {
  server = createGateway({
    loadHandler: async (name) => (name === DEFAULT_ROUTE.handler ? (event, context) => (routedToDefault.push(event.routeKey), notFound(event, context)) : stub),
    allowOrigins: [CONSOLE],
    integrationTimeoutMs: 300,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const preflight = (headers: Record<string, string>, path = '/v1/projects') => fetch(`${base}${path}`, { method: 'OPTIONS', headers });

describe('CORS from the shared definition', () => {
  test("a console request with Authorization passes preflight from the console's origin", async () => {
    invoked.length = 0;
    routedToDefault.length = 0;
    const res = await preflight({ origin: CONSOLE, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,content-type' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(Object.fromEntries([...res.headers].filter(([k]) => k.startsWith('access-control-')))).toEqual({
      'access-control-allow-origin': CONSOLE,
      'access-control-allow-methods': API_CORS.allowMethods.join(','),
      'access-control-allow-headers': API_CORS.allowHeaders.join(','),
      'access-control-max-age': String(API_CORS.maxAgeSeconds),
    });
    // As in AWS once the API has a `$default` route: no route of the table is an OPTIONS route,
    // so the preflight reaches `$default` (which answers 204), never a route's own handler.
    expect(invoked).toEqual([]);
    expect(routedToDefault).toEqual([DEFAULT_ROUTE.key]);
  });

  test('a preflight for any path passes, as API Gateway answers it (the request itself then gets its 404)', async () => {
    const res = await preflight({ origin: CONSOLE, 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization' }, '/v1/no/such/route');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    const actual = await fetch(`${base}/v1/no/such/route`, { method: 'DELETE', headers: { origin: CONSOLE, authorization: 'Bearer x' } });
    expect([actual.status, await actual.json()]).toEqual([404, { error: { code: 'route_not_found', message: 'No route DELETE /v1/no/such/route' } }]);
    expect(actual.headers.get('access-control-allow-origin')).toBe(CONSOLE);
  });

  test.each([
    ['another origin', { origin: 'https://evil.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' }],
    ['a header outside API_CORS', { origin: CONSOLE, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,x-custom' }],
    ['a method no route has', { origin: CONSOLE, 'access-control-request-method': 'TRACE' }],
  ])('a preflight with %s gets no Access-Control-Allow-* headers (the browser refuses)', async (_, headers) => {
    const res = await preflight(headers);
    expect([...res.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
  });

  test('an OPTIONS request that is no preflight (no Origin or no Access-Control-Request-Method) is a 404 route_not_found', async () => {
    for (const headers of [{}, { origin: CONSOLE }, { 'access-control-request-method': 'GET' }] as Array<Record<string, string>>) {
      const res = await preflight(headers);
      expect([res.status, await res.json()]).toEqual([404, { error: { code: 'route_not_found', message: 'No route OPTIONS /v1/projects' } }]);
    }
  });

  test("responses carry the gateway's CORS headers for the console, and never the handler's own", async () => {
    const fromConsole = await fetch(`${base}/v1/health`, { headers: { origin: CONSOLE } });
    expect(fromConsole.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect(fromConsole.headers.get('access-control-expose-headers')).toBe(API_CORS.exposeHeaders.join(','));
    const fromElsewhere = await fetch(`${base}/v1/health`, { headers: { origin: 'https://evil.example' } });
    expect(fromElsewhere.status).toBe(200);
    expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('routing as API Gateway routes', () => {
  test('a request no route matches (unknown path, or a known path with another method) gets 404 route_not_found with the error shape', async () => {
    invoked.length = 0;
    for (const [method, path] of [['GET', '/v1/nope'], ['PUT', '/v1/projects'], ['GET', '/']] as const) {
      const res = await fetch(`${base}${path}`, { method });
      expect([res.status, await res.json()]).toEqual([404, { error: { code: 'route_not_found', message: `No route ${method} ${path}` } }]);
    }
    expect(invoked).toEqual([]);
  });

  test("a malformed percent-escape in a parameter still reaches its route, kept as sent (its handler answers 400)", async () => {
    invoked.length = 0;
    for (const raw of ['%zz', '%', '%E2%82']) {
      const res = await fetch(`${base}/v1/projects/${raw}`);
      expect(res.status).toBe(200);
    }
    expect(invoked.map((e) => [e.routeKey, e.pathParameters])).toEqual([
      ['GET /v1/projects/{idOrName}', { idOrName: '%zz' }],
      ['GET /v1/projects/{idOrName}', { idOrName: '%' }],
      ['GET /v1/projects/{idOrName}', { idOrName: '%E2%82' }],
    ]);
  });
});

describe("AWS's limits", () => {
  test('a body above the HTTP API payload quota is refused with 413 before any handler runs', async () => {
    invoked.length = 0;
    const res = await fetch(`${base}/v1/files`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(HTTP_API_MAX_PAYLOAD_BYTES + 1) });
    expect([res.status, await res.json()]).toEqual([413, { message: 'Request Entity Too Large' }]);
    expect(invoked).toEqual([]);
  });

  test('a 5 MB binary body is refused: base64-encoded into the event it exceeds the 6 MB invoke payload', async () => {
    invoked.length = 0;
    const res = await fetch(`${base}/v1/files`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(5 * 1024 * 1024, 7) });
    expect([res.status, await res.json()]).toEqual([413, { message: 'Request Too Long' }]);
    expect(invoked).toEqual([]);
  });

  test('the same 5 MB as JSON text fits (JSON is not base64-encoded), so the limit is on the event, not the body', async () => {
    invoked.length = 0;
    const body = JSON.stringify({ pad: 'x'.repeat(5 * 1024 * 1024) });
    expect(body.length).toBeLessThan(LAMBDA_SYNC_PAYLOAD_BYTES);
    const res = await fetch(`${base}/v1/deployments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    expect(invoked).toHaveLength(1);
    expect(invoked[0]!.isBase64Encoded).toBe(false);
  });

  test('an integration that does not answer within the timeout gets 503 Service Unavailable', async () => {
    hang = true;
    try {
      const res = await fetch(`${base}/v1/health`);
      expect([res.status, await res.json()]).toEqual([503, { message: 'Service Unavailable' }]);
    } finally {
      hang = false;
    }
  });
});
