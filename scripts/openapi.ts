/**
 * `npm run openapi` — writes the OpenAPI 3.1 document of the API to
 * functions/src/handlers/http/openapi.json, generated from the very zod schemas the handlers
 * validate with and the route table the API stack and the local gateway use. The document is
 * built here, at build time, and checked in: `GET /v1/openapi.json` serves the file, so no
 * function imports every handler (and its schemas) at run time. A unit test
 * (tests/unit/lib/openapi.test.ts) regenerates it and fails when the checked-in file is stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { version } from '../package.json';
import type { AnyRoute } from '../functions/src/lib/http.ts';
import { HTTP_HANDLERS, HTTP_ROUTES, routeKey } from '../functions/src/handlers/http/routes.ts';
import { MissingFiles } from '../functions/src/handlers/http/deployments.ts';

/** Where the document is checked in. */
export const OPENAPI_FILE = fileURLToPath(new URL('../functions/src/handlers/http/openapi.json', import.meta.url));

/** Every route definition by route key, from the handler modules the route table names. */
async function definitions(): Promise<Record<string, AnyRoute>> {
  const all: Record<string, AnyRoute> = {};
  for (const name of HTTP_HANDLERS) {
    const mod = (await import(`../functions/src/handlers/http/${name}.ts`)) as { routes: Record<string, AnyRoute> };
    Object.assign(all, mod.routes);
  }
  return all;
}

const ErrorBody = z.object({
  error: z.object({ code: z.string().describe('snake_case, stable'), message: z.string() }).catchall(z.unknown()),
});

const ERRORS: Record<number, string> = {
  400: 'Invalid request (validation_failed, invalid_json, invalid_cursor, invalid_path_parameter, …)',
  401: 'Missing, unknown, expired or revoked token',
  403: 'The token\'s role does not allow this',
  404: 'Not found (also: it belongs to another team)',
  409: 'Conflict with the current state (name taken, version changed, …)',
  413: 'Body too large',
  422: 'Well-formed but not possible now (e.g. deployment not READY)',
  429: 'Rate limited; see Retry-After',
  503: 'A service Runway depends on cannot be reached right now (service_unavailable); see Retry-After',
};

/** Handler modules whose routes never answer 503 with the error shape. */
const OWN_503 = new Set(['openapi', 'health']);

/**
 * The OpenAPI 3.1 document of the API, generated from the very zod schemas the handlers validate
 * with, and the route table the API stack and the local gateway use.
 */
export async function openApiDocument(): Promise<string> {
  const all = await definitions();
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'An API token, rwy_…' });
  for (const r of HTTP_ROUTES) {
    const def = all[routeKey(r)];
    if (!def) throw new Error(`No definition for ${routeKey(r)}`);
    const success = def.responds ?? { status: 200 };
    const errors = Object.entries(ERRORS).filter(
      ([status]) =>
        (def.auth === 'token' || !['401', '403', '429'].includes(status)) &&
        // The document reads nothing; the health probe answers an outage with its own body.
        (status !== '503' || !OWN_503.has(r.handler)),
    );
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
  return `${JSON.stringify(document, null, 2)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.writeFileSync(OPENAPI_FILE, await openApiDocument());
  process.stdout.write(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)}\n`);
}

