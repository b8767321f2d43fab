import { getTransformedRoutes, type GetRoutesProps } from '@vercel/routing-utils';
import * as z from 'zod';
import { InvalidRoutingConfigError } from './edge-config.ts';

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

// Re-exported so the rest of the platform keeps one import for routing errors and the legacy edge format.
export {
  compilePathPattern,
  compileRoutingConfig,
  InvalidRoutingConfigError,
  MAX_COMPILED_CONFIG_BYTES,
  RoutingConfigTooLargeError,
  RunwayRoutingConfigSchema,
  VercelRoutingConfigSchema,
  type CompiledRoutingConfig,
  type RunwayRoutingConfig,
  type VercelRoutingConfig,
} from './edge-config.ts';

/**
 * Most routes one deployment may have. A Next.js app with a few hundred pages compiles to a few
 * hundred routes; the router scans them linearly per request (µs each, `npm run bench:router`).
 */
export const MAX_ROUTES = 2000;
/** Largest `config.json`, in UTF-8 bytes of its JSON: the edge keeps it in memory per deployment. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Longest route `src` / condition value, in characters. */
export const MAX_PATTERN_LENGTH = 4096;

/** Routing phases of the Build Output API (`{ "handle": … }` routes). */
export const HANDLE_VALUES = ['filesystem', 'hit', 'miss', 'rewrite', 'error', 'resource'] as const;
export type HandleValue = (typeof HANDLE_VALUES)[number];

const regexSource = (what: string) =>
  z
    .string()
    .min(1)
    .max(MAX_PATTERN_LENGTH)
    .superRefine((source, ctx) => {
      try {
        new RegExp(source);
      } catch (cause) {
        ctx.addIssue({ code: 'custom', message: `${what} is not a valid regular expression (${(cause as Error).message})` });
      }
    });

/** A condition value: a regex the whole value must match, or a comparison object (Vercel's `MatchableValue`). */
export const MatchableValueSchema = z.union([
  regexSource('value'),
  z.strictObject({
    eq: z.union([z.string(), z.number()]).optional(),
    neq: z.string().optional(),
    inc: z.array(z.string()).optional(),
    ninc: z.array(z.string()).optional(),
    pre: z.string().optional(),
    suf: z.string().optional(),
    re: regexSource('re').optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
  }),
]);
export type MatchableValue = z.infer<typeof MatchableValueSchema>;

/** One `has` / `missing` condition. */
export const HasItemSchema = z.union([
  z.strictObject({ type: z.literal('host'), value: MatchableValueSchema }),
  z.strictObject({ type: z.enum(['header', 'cookie', 'query']), key: z.string().min(1).max(256), value: MatchableValueSchema.optional() }),
]);
export type HasItem = z.infer<typeof HasItemSchema>;

const unsupportedKeys = (kind: string) => (issue: { code?: string; keys?: string[] }) =>
  issue.code === 'unrecognized_keys' ? `${kind} has field(s) Runway does not support: ${(issue.keys ?? []).join(', ')}` : undefined;

/** A route with a `src` pattern. Fields are Vercel's; others are refused (they would be ignored silently otherwise). */
export const SourceRouteSchema = z.strictObject(
  {
    src: regexSource('src'),
    dest: z.string().max(MAX_PATTERN_LENGTH).optional(),
    headers: z.record(z.string().min(1).max(256), z.string().max(MAX_PATTERN_LENGTH)).optional(),
    methods: z.array(z.string().min(1).max(32)).min(1).optional(),
    continue: z.boolean().optional(),
    caseSensitive: z.boolean().optional(),
    check: z.boolean().optional(),
    status: z.number().int().min(100).max(599).optional(),
    has: z.array(HasItemSchema).optional(),
    missing: z.array(HasItemSchema).optional(),
  },
  { error: unsupportedKeys('route') },
);
export type SourceRoute = z.infer<typeof SourceRouteSchema>;

/** A phase marker, `{ "handle": "filesystem" }`. */
export const HandleRouteSchema = z.strictObject(
  {
    handle: z.enum(HANDLE_VALUES),
    src: z.string().optional(),
    dest: z.string().optional(),
    status: z.number().int().optional(),
  },
  { error: unsupportedKeys('handle route') },
);
export type HandleRoute = z.infer<typeof HandleRouteSchema>;
export type Route = SourceRoute | HandleRoute;

/** One route: a phase marker when it has `handle`, a source route otherwise; issues are the chosen schema's. */
export const RouteSchema = z.custom<Route>().superRefine((value, ctx) => {
  const isHandle = typeof value === 'object' && value !== null && 'handle' in value;
  const result = (isHandle ? HandleRouteSchema : SourceRouteSchema).safeParse(value);
  if (!result.success) for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
});

/** `overrides`: a static file (path under `static/`) served at another path and/or with a content type. */
export const OverrideSchema = z.strictObject({ path: z.string().max(1024).optional(), contentType: z.string().max(256).optional() });

/**
 * `.vercel/output/config.json`, version 3. `images`, `wildcard`, `crons` and `cache` are kept as
 * given (checked for shape only: the features that read them come later); any other key is refused.
 */
export const BuildOutputConfigSchema = z.strictObject(
  {
    version: z.literal(3),
    routes: z.array(RouteSchema).max(MAX_ROUTES, `at most ${MAX_ROUTES} routes`).optional(),
    overrides: z.record(z.string(), OverrideSchema).optional(),
    images: z.record(z.string(), z.unknown()).optional(),
    wildcard: z.array(z.strictObject({ domain: z.string(), value: z.string() })).optional(),
    crons: z.array(z.strictObject({ path: z.string(), schedule: z.string() })).optional(),
    cache: z.array(z.string()).optional(),
    framework: z.strictObject({ version: z.string() }).optional(),
  },
  { error: unsupportedKeys('config.json') },
);
export type BuildOutputConfig = z.infer<typeof BuildOutputConfigSchema>;

// ---- vercel.json / runway.json ---------------------------------------------------------------

/** Headers CloudFront refuses or keeps read-only; a rule setting one would fail the response. */
const FORBIDDEN_HEADERS = new Set([
  'connection', 'content-encoding', 'content-length', 'expect', 'keep-alive', 'proxy-authenticate',
  'proxy-authorization', 'proxy-connection', 'set-cookie', 'trailer', 'transfer-encoding', 'upgrade',
  'via', 'warning', 'x-cache', 'x-forwarded-proto', 'x-real-ip',
]);
const FORBIDDEN_HEADER_PREFIXES = ['x-accel-', 'x-amz-cf-', 'x-amzn-', 'x-edge-', 'x-runway-'];

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
};

/** runway.json's routing fields (all of it is routing). Unknown fields are refused. */
export const RunwayJsonSchema = z.strictObject({
  ...routingFields,
  spa: z.boolean().optional().describe('Serve /index.html for extension-less paths that match no file'),
});
/** The vercel.json fields Runway honours; every other vercel.json field is ignored. */
export const VercelJsonSchema = z.object(routingFields);
type RoutingFields = z.infer<typeof VercelJsonSchema>;

function parse<T>(schema: z.ZodType<T>, file: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InvalidRoutingConfigError(
      `${file} is invalid:\n${z.prettifyError(result.error)}`,
      { file, issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
      { cause: result.error },
    );
  }
  return result.data;
}

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

  const { routes, error } = getTransformedRoutes(fields as GetRoutesProps);
  if (error) {
    throw new InvalidRoutingConfigError(`${file}: ${error.message}${error.errors?.length ? `: ${error.errors.join('; ')}` : ''}`, { file, code: error.code });
  }
  // The dev server matches case-sensitively when vercel.json uses redirects/rewrites/headers/cleanUrls/
  // trailingSlash (`hasNewRoutingProperties`, packages/cli/src/util/dev/server.ts); BOA routes default
  // to case-insensitive, so the compiled routes say so explicitly.
  const compiled: Route[] = (routes ?? []).map((r) => ('handle' in r ? { handle: r.handle } : { ...(r as SourceRoute), caseSensitive: true }));
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

function parseWith(value: unknown, file: string): BuildOutputConfig {
  const config = parse(BuildOutputConfigSchema, file, value);
  if (!config) throw new InvalidRoutingConfigError(`${file} is empty`, { file });
  return config;
}

function checkLimits(config: BuildOutputConfig): BuildOutputConfig {
  const bytes = Buffer.byteLength(JSON.stringify(config), 'utf8');
  if (bytes > MAX_CONFIG_BYTES) {
    throw new InvalidRoutingConfigError(
      `The routing config is ${bytes} bytes, over the ${MAX_CONFIG_BYTES}-byte limit (${config.routes?.length ?? 0} routes, ` +
        `${Object.keys(config.overrides ?? {}).length} overrides): merge similar rules into one pattern ("/old/:path*" → "/new/:path*")`,
      { bytes, limit: MAX_CONFIG_BYTES },
    );
  }
  return config;
}

/**
 * Validate a `.vercel/output/config.json` a framework wrote (already JSON-parsed).
 * @throws InvalidRoutingConfigError naming the route and field, e.g. `routes.3: route has field(s)
 *   Runway does not support: middlewarePath`, or a limit that is broken
 */
export function parseBuildOutputConfig(json: unknown, file = '.vercel/output/config.json'): BuildOutputConfig {
  return checkLimits(parseWith(json, file));
}

/** Every regular expression of `config` with where it comes from: each route's `src` and its `has`/`missing` value regexes. */
export function routePatterns(config: BuildOutputConfig): Array<{ where: string; pattern: string }> {
  const out: Array<{ where: string; pattern: string }> = [];
  (config.routes ?? []).forEach((route, index) => {
    if ('handle' in route) return;
    out.push({ where: `routes[${index}].src`, pattern: route.src });
    for (const field of ['has', 'missing'] as const) {
      route[field]?.forEach((item, i) => {
        const value = item.value;
        if (typeof value === 'string') out.push({ where: `routes[${index}].${field}[${i}].value`, pattern: value });
        else if (value?.re !== undefined) out.push({ where: `routes[${index}].${field}[${i}].value.re`, pattern: value.re });
      });
    }
  });
  return out;
}
