import * as z from 'zod';
import { ValidationError } from '#core/errors';
import { RouteTransformSchema } from './transforms.ts';

/**
 * The Build Output API v3 `config.json` (https://vercel.com/docs/build-output-api/configuration):
 * its zod schema, its limits and its validation. zod only, so that the control plane can validate a
 * config without bundling the compiler (`config.ts`, which needs @vercel/routing-utils).
 */

/** A routing config (vercel.json, runway.json, config.json) fails its schema, a pattern check or a limit: a 400 / a failed deployment. */
export class InvalidRoutingConfigError extends ValidationError {
  override name = 'InvalidRoutingConfigError';
  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('invalid_routing_config', message, details, options);
  }
}

/**
 * Most routes one deployment may have. A Next.js app with a few hundred pages compiles to a few
 * hundred routes; the router scans them linearly per request (µs each, `npm run bench:router`).
 */
export const MAX_ROUTES = 2000;
/** Largest `config.json`, in UTF-8 bytes of its JSON: the edge keeps it in memory per deployment. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Longest route `src` / condition value, in characters. */
export const MAX_PATTERN_LENGTH = 4096;

/** Headers CloudFront refuses or keeps read-only; a rule setting one would fail the response. */
export const FORBIDDEN_HEADERS = new Set([
  'connection', 'content-encoding', 'content-length', 'expect', 'keep-alive', 'proxy-authenticate',
  'proxy-authorization', 'proxy-connection', 'set-cookie', 'trailer', 'transfer-encoding', 'upgrade',
  'via', 'warning', 'x-cache', 'x-forwarded-proto', 'x-real-ip',
]);
/** Header name prefixes reserved the same way. */
export const FORBIDDEN_HEADER_PREFIXES = ['x-accel-', 'x-amz-cf-', 'x-amzn-', 'x-edge-', 'x-runway-'];

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
    /** Deprecated in Vercel's types and without effect here; Next.js still writes it on `hit` routes. */
    important: z.boolean().optional(),
    /** Deprecated in Vercel's types and without effect here. */
    override: z.boolean().optional(),
    /** Query and header transforms (transforms.ts). */
    transforms: z.array(RouteTransformSchema).min(1).max(32).optional(),
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
    routes: z
      .array(RouteSchema)
      .max(MAX_ROUTES, { error: (issue) => `has ${(issue.input as unknown[]).length} routes, over the limit of ${MAX_ROUTES}: merge similar rules into one pattern` })
      .optional(),
    overrides: z.record(z.string(), OverrideSchema).optional(),
    images: z.record(z.string(), z.unknown()).optional(),
    wildcard: z.array(z.strictObject({ domain: z.string(), value: z.string() })).optional(),
    crons: z.array(z.strictObject({ path: z.string(), schedule: z.string() })).optional(),
    cache: z.array(z.string()).optional(),
    /** Metadata: `vercel build` writes `{ slug, version }` (`{"slug":"nextjs","version":"16.2.9"}`), Nitro `{ name, version }`. */
    framework: z.strictObject({ slug: z.string().max(256).optional(), name: z.string().max(256).optional(), version: z.string().max(256) }).optional(),
  },
  { error: unsupportedKeys('config.json') },
);
export type BuildOutputConfig = z.infer<typeof BuildOutputConfigSchema>;


export function parse<T>(schema: z.ZodType<T>, file: string, value: unknown): T | undefined {
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

export function parseWith(value: unknown, file: string): BuildOutputConfig {
  const config = parse(BuildOutputConfigSchema, file, value);
  if (!config) throw new InvalidRoutingConfigError(`${file} is empty`, { file });
  return config;
}

export function checkLimits(config: BuildOutputConfig): BuildOutputConfig {
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
