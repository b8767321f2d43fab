/**
 * Every HTTP route of the platform and the Lambda handler that serves it. This table is the one
 * list both the API stack (one integration per handler) and the local gateway read; each handler
 * module dispatches on `event.routeKey`, which a unit test checks against this table.
 */
export const HTTP_ROUTES = [
  { method: 'GET', path: '/v1/health', handler: 'health' },
] as const satisfies ReadonlyArray<HttpRoute>;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRoute {
  readonly method: HttpMethod;
  /** API Gateway path template, e.g. `/v1/projects/{projectId}`. */
  readonly path: string;
  /** Handler module `functions/src/handlers/http/<handler>.ts`. */
  readonly handler: string;
}

/** Handler module names, one Lambda function each. */
export const HTTP_HANDLERS = [...new Set(HTTP_ROUTES.map((r) => r.handler))];

/** The API Gateway route key of a route, `"GET /v1/health"`. */
export const routeKey = (r: Pick<HttpRoute, 'method' | 'path'>): string => `${r.method} ${r.path}`;
