import { getTransformedRoutes, type GetRoutesProps } from '@vercel/routing-utils';
import * as z from 'zod';
import { checkLimits, FORBIDDEN_HEADER_PREFIXES, FORBIDDEN_HEADERS, HasItemSchema, InvalidRoutingConfigError, MAX_PATTERN_LENGTH, MAX_ROUTES, parse, parseWith, RouteSchema, type BuildOutputConfig, type Route, type SourceRoute } from './schema.ts';

/**
 * A deployment's routing, in the Build Output API v3 format
 * (https://vercel.com/docs/build-output-api/configuration): `.vercel/output/config.json`.
 *
 * Two ways in, one shape out:
 * - {@link compileBuildOutputConfig}: `vercel.json` / `runway.json` routing fields compiled with
 *   `@vercel/routing-utils`' `getTransformedRoutes`, the library Vercel's own build uses, plus the
 *   `overrides` `vercel build` writes for `cleanUrls` (packages/cli/src/util/build/write-build-result.ts).
 * - {@link parseBuildOutputConfig}: a `config.json` a framework wrote itself (e.g. an adapter's
 *   `.vercel/output`), checked with the same schema.
 * Both throw {@link InvalidRoutingConfigError} (`invalid_routing_config`, a 400 / a failed
 * deployment) with a message naming the file and the route.
 */

// The legacy KeyValueStore format, re-exported for today's edge and its tests until it runs the router.
export {
  compilePathPattern,
  compileRoutingConfig,
  MAX_COMPILED_CONFIG_BYTES,
  RoutingConfigTooLargeError,
  RunwayRoutingConfigSchema,
  VercelRoutingConfigSchema,
  type CompiledRoutingConfig,
  type RunwayRoutingConfig,
  type VercelRoutingConfig,
} from './edge-config.ts';
export * from './schema.ts';

// ---- vercel.json / runway.json ---------------------------------------------------------------


const SourcePattern = z
  .string()
  .min(1)
  .max(MAX_PATTERN_LENGTH)
  .refine((s) => s.startsWith('/'), 'must start with "/"')
  .describe('Path pattern, Vercel (path-to-regexp) syntax: "/blog/:slug", "/docs/:path*", "/(.*)"');

const Destination = z.string().min(1).max(MAX_PATTERN_LENGTH);
const conditions = { has: z.array(HasItemSchema).optional(), missing: z.array(HasItemSchema).optional() };

const RedirectSchema = z
  .strictObject({
    source: SourcePattern,
    destination: Destination.describe('Path or absolute URL; ":name" and "$1" insert what the source captured'),
    permanent: z.boolean().optional().describe('true (default): 308; false: 307'),
    statusCode: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).optional(),
    ...conditions,
  })
  .refine((r) => r.permanent === undefined || r.statusCode === undefined, 'set "permanent" or "statusCode", not both');

const RewriteSchema = z.strictObject({
  source: SourcePattern,
  destination: Destination.describe('Path of the deployment (query string allowed) or an external http(s) URL'),
  ...conditions,
});

const HeaderName = z
  .string()
  .min(1)
  .max(128)
  .refine((k) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k), 'is not a valid HTTP header name')
  .refine(
    (k) => !FORBIDDEN_HEADERS.has(k.toLowerCase()) && !FORBIDDEN_HEADER_PREFIXES.some((p) => k.toLowerCase().startsWith(p)),
    'cannot be set at the edge (CloudFront read-only or reserved header)',
  );

const HeaderRuleSchema = z.strictObject({
  source: SourcePattern,
  headers: z
    .array(
      z.strictObject({
        key: HeaderName,
        value: z.string().max(MAX_PATTERN_LENGTH).refine((v) => /^[\x20-\x7e\t]*$/.test(v), 'must be printable ASCII (percent-encode anything else)'),
      }),
    )
    .min(1),
  ...conditions,
});

const routingFields = {
  redirects: z.array(RedirectSchema).max(MAX_ROUTES).optional().describe('Evaluated in order; the first match answers'),
  rewrites: z.array(RewriteSchema).max(MAX_ROUTES).optional().describe('Evaluated after the filesystem; the first match wins'),
  headers: z.array(HeaderRuleSchema).max(MAX_ROUTES).optional().describe('Every matching rule applies, 404s included'),
  cleanUrls: z.boolean().optional().describe('Serve /about from about.html and redirect /about.html to /about'),
  trailingSlash: z.boolean().optional().describe('true: /about → /about/; false: /about/ → /about (308)'),
  routes: z.array(RouteSchema).max(MAX_ROUTES).optional().describe("Vercel's legacy routes (not combinable with the fields above)"),
};

/** runway.json's routing fields (all of it is routing). Unknown fields are refused. */
export const RunwayJsonSchema = z.strictObject({
  ...routingFields,
  spa: z.boolean().optional().describe('Serve /index.html for extension-less paths that match no file'),
});
/** The vercel.json fields Runway honours; every other vercel.json field is ignored. */
export const VercelJsonSchema = z.object(routingFields);
type RoutingFields = z.infer<typeof VercelJsonSchema>;

/**
 * The route an SPA fallback (`runway.json` `"spa": true`) adds after the filesystem: any path whose
 * last segment has no extension and that no file serves gets `/index.html`.
 */
const SPA_ROUTE: SourceRoute = { src: '^/(?:[^/]*/)*[^/.]*$', dest: '/index.html', check: true };

/**
 * Compile the routing fields of runway.json and vercel.json (runway.json wins per field) into a
 * Build Output API config, as `vercel build` would write it.
 * @param input.files paths of the deployment's static files (under `static/`, no leading "/"):
 *   with `cleanUrls`, each `.html` file gets an override serving it without the extension
 * @throws InvalidRoutingConfigError when a file fails its schema, routing-utils refuses a rule
 *   (its message, e.g. an invalid `source`), or the result breaks a limit ({@link MAX_ROUTES})
 */
export function compileBuildOutputConfig(input: { runwayJson?: unknown; vercelJson?: unknown; files?: Iterable<string> }): BuildOutputConfig {
  const runway = parse(RunwayJsonSchema, 'runway.json', input.runwayJson);
  const vercel = parse(VercelJsonSchema, 'vercel.json', input.vercelJson);
  const fields: RoutingFields = {};
  for (const field of Object.keys(routingFields) as Array<keyof RoutingFields>) {
    const value = runway?.[field] !== undefined ? runway[field] : vercel?.[field];
    if (value !== undefined) (fields as Record<string, unknown>)[field] = value;
  }
  const file = runway ? 'runway.json' : 'vercel.json';
  const newFields = (['redirects', 'rewrites', 'headers', 'cleanUrls', 'trailingSlash'] as const).filter((f) => fields[f] !== undefined);
  if (fields.routes !== undefined && newFields.length > 0) {
    // Vercel refuses the mix too ("If rewrites, redirects, headers, cleanUrls or trailingSlash are
    // used, then routes cannot be defined", https://vercel.com/docs/project-configuration#routes).
    throw new InvalidRoutingConfigError(`${file}: "routes" cannot be combined with ${newFields.map((f) => `"${f}"`).join(', ')}; move the routes into redirects, rewrites and headers`, { file });
  }

  const { routes, error } = getTransformedRoutes(fields as GetRoutesProps);
  if (error) {
    const more = (error.errors ?? []).filter((e) => e !== error.message);
    throw new InvalidRoutingConfigError(`${file}: ${[error.message, ...more].join('; ')}`, { file, code: error.code });
  }
  // The dev server matches case-sensitively when vercel.json uses redirects/rewrites/headers/cleanUrls/
  // trailingSlash, case-insensitively with legacy `routes` (`hasNewRoutingProperties`,
  // packages/cli/src/util/dev/server.ts); BOA routes default to case-insensitive, so the routes
  // compiled from the new fields say so explicitly.
  const caseSensitive = fields.routes === undefined;
  const compiled: Route[] = (routes ?? []).map((r) => ('handle' in r ? { handle: r.handle } : { ...(r as SourceRoute), ...(caseSensitive ? { caseSensitive: true } : {}) }));
  if (runway?.spa === true) {
    if (!compiled.some((r) => 'handle' in r && r.handle === 'filesystem')) compiled.push({ handle: 'filesystem' });
    compiled.push(SPA_ROUTE);
  }
  const config: BuildOutputConfig = { version: 3, routes: compiled };
  if (fields.cleanUrls === true) {
    const overrides: Record<string, { path: string }> = {};
    for (const path of input.files ?? []) if (path.endsWith('.html')) overrides[path] = { path: path.slice(0, -'.html'.length) };
    if (Object.keys(overrides).length > 0) config.overrides = overrides;
  }
  return checkLimits(parseWith(config, file));
}

