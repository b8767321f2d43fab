import { NotFoundError } from '#core/errors';
import { isCorsPreflight } from '#lib/cors-preflight';
import { httpHandler, route } from '#lib/http';
import { DEFAULT_ROUTE } from './routes.ts';

/**
 * API Gateway's `$default` route: every request that matches no route of the table (unknown path,
 * or a known path with another method) gets a 404 `route_not_found` with the error shape, like
 * every other error. It reads nothing and holds no permissions.
 *
 * CORS preflights land here too, and get 204 with no body. AWS's "Configure CORS for HTTP APIs"
 * page: API Gateway answers preflights itself "even if there isn't an OPTIONS route configured",
 * but "the `$default` route catches requests for all methods and routes that you haven't
 * explicitly defined, including `OPTIONS` requests"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html). No route of
 * the table is an OPTIONS route, so with this route every preflight of the console reaches this
 * function; a 404 is not an ok status and the browser would fail the preflight
 * (https://fetch.spec.whatwg.org/#cors-preflight-fetch). API Gateway puts the configured
 * `Access-Control-*` headers (handlers/http/cors.ts, `corsPreflight` in the API stack) on this
 * answer and ignores any a Lambda sets, so none are set here: a disallowed origin, method or
 * header still gets none and the browser refuses it.
 *
 * Why here and not an `OPTIONS /{proxy+}` route to a function answering 204 (the page's advice
 * for a `$default` route behind an authorizer, which must not see unauthenticated preflights):
 * this `$default` route has no authorizer, so it can answer them itself — one route and one
 * function fewer, and `OPTIONS /` is covered too, which `/{proxy+}` does not match.
 * (Read from AWS's documentation, not tried against a live API: there is no AWS account here.)
 */
export const routes = {
  [DEFAULT_ROUTE.key]: route({
    auth: 'public',
    // Any body, any content type: it is never read, only bounded.
    rawBody: true,
    summary: 'Any request no route matches: 404 route_not_found; a CORS preflight: 204',
    handler: async ({ event }) => {
      if (isCorsPreflight(event.requestContext.http.method, event.headers)) return { status: 204 };
      throw new NotFoundError('route_not_found', `No route ${event.requestContext.http.method} ${event.rawPath.slice(0, 200)}`);
    },
  }),
};

export const handler = httpHandler(routes);
