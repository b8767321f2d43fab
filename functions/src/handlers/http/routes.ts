/**
 * Every HTTP route of the platform and the Lambda handler that serves it. This table is the one
 * list both the API stack (one integration per handler) and the local gateway read; each handler
 * module dispatches on `event.routeKey`, which a unit test checks against this table.
 */
export const HTTP_ROUTES = [
  { method: 'GET', path: '/v1/health', handler: 'health' },
  { method: 'GET', path: '/v1/openapi.json', handler: 'openapi' },

  { method: 'GET', path: '/v1/teams', handler: 'teams' },
  { method: 'POST', path: '/v1/teams', handler: 'teams' },
  { method: 'GET', path: '/v1/teams/{teamId}', handler: 'teams' },
  { method: 'GET', path: '/v1/teams/{teamId}/members', handler: 'teams' },
  { method: 'POST', path: '/v1/teams/{teamId}/members', handler: 'teams' },
  { method: 'PATCH', path: '/v1/teams/{teamId}/members/{principal}', handler: 'teams' },
  { method: 'DELETE', path: '/v1/teams/{teamId}/members/{principal}', handler: 'teams' },

  { method: 'GET', path: '/v1/tokens', handler: 'tokens' },
  { method: 'POST', path: '/v1/tokens', handler: 'tokens' },
  { method: 'GET', path: '/v1/tokens/{tokenId}', handler: 'tokens' },
  { method: 'DELETE', path: '/v1/tokens/{tokenId}', handler: 'tokens' },

  { method: 'GET', path: '/v1/projects', handler: 'projects' },
  { method: 'POST', path: '/v1/projects', handler: 'projects' },
  { method: 'GET', path: '/v1/projects/{idOrName}', handler: 'projects' },
  { method: 'PATCH', path: '/v1/projects/{idOrName}', handler: 'projects' },
  { method: 'DELETE', path: '/v1/projects/{idOrName}', handler: 'projects' },

  { method: 'GET', path: '/v1/projects/{idOrName}/aliases', handler: 'aliases' },
  { method: 'POST', path: '/v1/projects/{idOrName}/promote', handler: 'aliases' },
  { method: 'POST', path: '/v1/projects/{idOrName}/rollback', handler: 'aliases' },

  { method: 'GET', path: '/v1/projects/{idOrName}/domains', handler: 'domains' },
  { method: 'POST', path: '/v1/projects/{idOrName}/domains', handler: 'domains' },
  { method: 'GET', path: '/v1/projects/{idOrName}/domains/{domain}', handler: 'domains' },
  { method: 'POST', path: '/v1/projects/{idOrName}/domains/{domain}/verify', handler: 'domains' },
  { method: 'PATCH', path: '/v1/projects/{idOrName}/domains/{domain}', handler: 'domains' },
  { method: 'DELETE', path: '/v1/projects/{idOrName}/domains/{domain}', handler: 'domains' },

  { method: 'GET', path: '/v1/projects/{idOrName}/env', handler: 'env' },
  { method: 'POST', path: '/v1/projects/{idOrName}/env', handler: 'env' },
  { method: 'PATCH', path: '/v1/projects/{idOrName}/env/{envId}', handler: 'env' },
  { method: 'DELETE', path: '/v1/projects/{idOrName}/env/{envId}', handler: 'env' },

  { method: 'POST', path: '/v1/files', handler: 'files' },
  { method: 'POST', path: '/v1/files/uploads', handler: 'files' },
  { method: 'POST', path: '/v1/files/uploads/complete', handler: 'files' },

  { method: 'GET', path: '/v1/deployments', handler: 'deployments' },
  { method: 'POST', path: '/v1/deployments', handler: 'deployments' },
  { method: 'GET', path: '/v1/deployments/{id}', handler: 'deployments' },
  { method: 'POST', path: '/v1/deployments/{id}/cancel', handler: 'deployments' },
  { method: 'POST', path: '/v1/deployments/{id}/redeploy', handler: 'deployments' },
  { method: 'GET', path: '/v1/deployments/{id}/events', handler: 'deployment-events' },
  { method: 'GET', path: '/v1/deployments/{id}/logs', handler: 'deployment-events' },

  { method: 'POST', path: '/v1/git/install', handler: 'git' },
  { method: 'GET', path: '/v1/git/installations', handler: 'git' },
  { method: 'POST', path: '/v1/git/installations', handler: 'git' },
  { method: 'DELETE', path: '/v1/git/installations/{installationId}', handler: 'git' },
  { method: 'GET', path: '/v1/git/repositories', handler: 'git' },

  // GitHub App deliveries, verified by their signature.
  { method: 'POST', path: '/webhooks/github', handler: 'github-webhook' },

  // The build API: called by running builds with their deployment-scoped capability token.
  { method: 'GET', path: '/v1/builds/{deploymentId}/job', handler: 'builds' },
  { method: 'POST', path: '/v1/builds/{deploymentId}/missing', handler: 'builds' },
  { method: 'PUT', path: '/v1/builds/{deploymentId}/blobs/{sha}', handler: 'builds' },
  { method: 'POST', path: '/v1/builds/{deploymentId}/manifest', handler: 'builds' },
  { method: 'GET', path: '/v1/builds/{deploymentId}/source/{sha}', handler: 'builds' },
  { method: 'GET', path: '/v1/builds/{deploymentId}/cache/{key}', handler: 'builds' },
  { method: 'GET', path: '/v1/builds/{deploymentId}/tarball', handler: 'builds' },
  { method: 'POST', path: '/v1/builds/{deploymentId}/cache/{key}', handler: 'builds' },
] as const satisfies ReadonlyArray<HttpRoute>;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRoute {
  readonly method: HttpMethod;
  /** API Gateway path template, e.g. `/v1/projects/{projectId}`. */
  readonly path: string;
  /** Handler module `functions/src/handlers/http/<handler>.ts`. */
  readonly handler: string;
}

/**
 * API Gateway's catch-all route (`$default`): a request no route of the table matches goes to this
 * handler, which answers 404 with the API's error shape. Without it API Gateway answers such
 * requests itself with `{"message":"Not Found"}` (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html#http-api-develop-routes.default).
 */
export const DEFAULT_ROUTE = { key: '$default', handler: 'not-found' } as const;

/** Handler module names, one Lambda function each. */
export const HTTP_HANDLERS = [...new Set([...HTTP_ROUTES.map((r) => r.handler), DEFAULT_ROUTE.handler])];

/** The API Gateway route key of a route, `"GET /v1/health"`. */
export const routeKey = (r: Pick<HttpRoute, 'method' | 'path'>): string => `${r.method} ${r.path}`;
