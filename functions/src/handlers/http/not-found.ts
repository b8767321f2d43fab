import { NotFoundError } from '#core/errors';
import { httpHandler, route } from '#lib/http';
import { DEFAULT_ROUTE } from './routes.ts';

/**
 * API Gateway's `$default` route: every request that matches no route of the table (unknown path,
 * or a known path with another method) gets a 404 with the error shape, like every other error.
 * It reads nothing and holds no permissions.
 */
export const routes = {
  [DEFAULT_ROUTE.key]: route({
    auth: 'public',
    // Any body, any content type: it is never read, only bounded.
    rawBody: true,
    summary: 'Any request no route matches: 404 route_not_found',
    handler: async ({ event }) => {
      throw new NotFoundError('route_not_found', `No route ${event.requestContext.http.method} ${event.rawPath.slice(0, 200)}`);
    },
  }),
};

export const handler = httpHandler(routes);
