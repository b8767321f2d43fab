import { describe, expect, test } from 'vitest';
import { handler } from '../../../functions/src/handlers/http/not-found.ts';
import { DEFAULT_ROUTE } from '../../../functions/src/handlers/http/routes.ts';
import { httpEvent, lambdaContext } from '../../support/events.ts';

/**
 * The `$default` route's handler as API Gateway invokes it (payload 2.0, route key `$default`):
 * what the HTTP API in AWS answers for requests no route matches, preflights included.
 */
function defaultRouteEvent(method: string, path: string, headers: Record<string, string> = {}) {
  const event = httpEvent(DEFAULT_ROUTE.key, { path, headers });
  event.requestContext.http = { ...event.requestContext.http, method, path };
  return event;
}

const call = (event: ReturnType<typeof httpEvent>) => handler(event, lambdaContext) as Promise<{ statusCode: number; headers?: Record<string, string>; body?: string }>;

describe('the $default route (not-found)', () => {
  test('a CORS preflight on any path gets 204 with no body and no CORS headers of its own (API Gateway adds the configured ones)', async () => {
    for (const path of ['/v1/projects', '/v1/projects/prj_1/env', '/']) {
      const res = await call(defaultRouteEvent('OPTIONS', path, { origin: 'https://console.example.com', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization,content-type' }));
      expect(res.statusCode).toBe(204);
      expect(res.body ?? '').toBe('');
      expect(Object.keys(res.headers ?? {}).filter((k) => /^access-control-/i.test(k))).toEqual([]);
    }
  });

  test('any other request gets 404 route_not_found with the error shape, OPTIONS without the preflight headers too', async () => {
    for (const [method, headers] of [['GET', {}], ['DELETE', { origin: 'https://console.example.com' }], ['OPTIONS', {}], ['OPTIONS', { origin: 'https://console.example.com' }]] as const) {
      const res = await call(defaultRouteEvent(method, '/v1/nope', headers));
      expect(res.statusCode).toBe(404);
      expect(JSON.parse(res.body!)).toEqual({ error: { code: 'route_not_found', message: `No route ${method} /v1/nope` } });
    }
  });
});
