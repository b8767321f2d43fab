import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { version } from '../../../../package.json';
import { httpHandler, route, type AnyRoute } from '#lib/http';
import { HTTP_HANDLERS, HTTP_ROUTES, routeKey } from './routes.ts';
import { MissingFiles } from './deployments.ts';

/** Every route definition by route key, from the handler modules the route table names. */
async function definitions(): Promise<Record<string, AnyRoute>> {
  const all: Record<string, AnyRoute> = { ...routes };
  for (const name of HTTP_HANDLERS.filter((h) => h !== 'openapi')) {
    // A glob import: esbuild bundles every module of this directory, so new handlers are picked up.
    const mod = (await import(`./${name}.ts`)) as { routes: Record<string, AnyRoute> };
    Object.assign(all, mod.routes);
  }
  return all;
}

const ErrorBody = z.object({
  error: z.object({ code: z.string().describe('snake_case, stable'), message: z.string() }).catchall(z.unknown()),
});

const ERRORS: Record<number, string> = {
  400: 'Invalid request (validation_failed, invalid_json, invalid_cursor, …)',
  401: 'Missing, unknown, expired or revoked token',
  403: 'The token\'s role does not allow this',
  404: 'Not found (also: it belongs to another team)',
  409: 'Conflict with the current state (name taken, version changed, …)',
  413: 'Body too large',
  422: 'Well-formed but not possible now (e.g. deployment not READY)',
  429: 'Rate limited; see Retry-After',
};

let cached: string | undefined;

/**
 * The OpenAPI 3.1 document of the API, generated from the very zod schemas the handlers validate
 * with, and the route table the API stack and the local gateway use.
 */
export async function openApiDocument(): Promise<string> {
  if (cached) return cached;
  const all = await definitions();
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'An API token, rwy_…' });
  for (const r of HTTP_ROUTES) {
    const def = all[routeKey(r)];
    if (!def) throw new Error(`No definition for ${routeKey(r)}`);
    const success = def.responds ?? { status: 200 };
    const errors = Object.entries(ERRORS).filter(([status]) => def.auth === 'token' || !['401', '403', '429'].includes(status));
    registry.registerPath({
      method: r.method.toLowerCase() as 'get',
      path: r.path,
      tags: [r.handler],
      ...(def.summary ? { summary: def.summary } : {}),
      security: def.auth === 'token' ? [{ bearer: [] }] : [],
      request: {
        ...(def.params ? { params: def.params as z.ZodObject } : {}),
        ...(def.query ? { query: def.query as z.ZodObject } : {}),
        ...(def.body ? { body: { content: { 'application/json': { schema: def.body } } } } : {}),
        ...(def.rawBody ? { body: { content: { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } } } } : {}),
      },
      responses: {
        [success.status]: {
          description: 'Success',
          ...(success.body ? { content: { 'application/json': { schema: success.body } } } : {}),
        },
        ...Object.fromEntries(
          errors.map(([status, description]) => [
            status,
            {
              description,
              content: { 'application/json': { schema: routeKey(r) === 'POST /v1/deployments' && status === '400' ? z.union([ErrorBody, MissingFiles]) : ErrorBody } },
            },
          ]),
        ),
      },
    });
  }
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Runway API', version, description: 'Control plane of Runway. Errors: {"error":{"code","message",…}}. Lists: ?limit=&cursor= → {items, next}.' },
    servers: [{ url: '/' }],
  });
  cached = JSON.stringify(document);
  return cached;
}

export const routes = {
  'GET /v1/openapi.json': route({
    auth: 'public',
    summary: 'This document',
    handler: async () => ({ raw: await openApiDocument(), headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' } }),
  }),
};

export const handler = httpHandler(routes);
