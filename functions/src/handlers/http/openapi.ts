import { httpHandler, route } from '#lib/http';
import document from './openapi.json' with { type: 'json' };

/**
 * `GET /v1/openapi.json` — the OpenAPI 3.1 document of the API, generated at build time from the
 * handlers' zod schemas (`npm run openapi`, scripts/openapi.ts) and checked in beside this file;
 * a unit test fails when it is stale.
 */
const body = JSON.stringify(document);

export const routes = {
  'GET /v1/openapi.json': route({
    auth: 'public',
    summary: 'This document',
    handler: async () => ({ raw: body, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' } }),
  }),
};

export const handler = httpHandler(routes);
