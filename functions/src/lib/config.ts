import * as z from 'zod';

/**
 * Environment of the control-plane handlers, validated once. A handler reads only what it needs
 * through `config()`; a missing or malformed variable fails the cold start with the variable's
 * name, never with a silent default.
 */
const ConfigSchema = z.object({
  RUNWAY_TABLE_NAME: z.string().min(1),
  RUNWAY_IDEMPOTENCY_TABLE_NAME: z.string().min(1),
  RUNWAY_ARTIFACT_BUCKET: z.string().min(1),
  RUNWAY_KMS_KEY_ID: z.string().min(1),
  RUNWAY_PLATFORM_DOMAIN: z.string().min(1),
  /** CloudWatch Logs group the builds write to (one stream per deployment). */
  RUNWAY_BUILD_LOG_GROUP: z.string().min(1),
  /** Requests one API token may make per minute (fixed window, shared by every Lambda instance). */
  RUNWAY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(1200),
  /** Path-style S3 addressing, for S3-compatible endpoints without virtual-host DNS. */
  RUNWAY_S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** How deployment URLs are written in links (GitHub statuses, PR comments): `https` in AWS. */
  RUNWAY_EDGE_SCHEME: z.enum(['https', 'http']).default('https'),
  /** Port of the edge in links, when it is not the scheme's default (the local edge). */
  RUNWAY_EDGE_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** The console's base URL, for "details" links back from GitHub. */
  RUNWAY_CONSOLE_URL: z.url().optional(),
  /** Secrets Manager secret of the GitHub App: JSON `{appId, appSlug, privateKey, clientId, clientSecret}`. */
  RUNWAY_GITHUB_SECRET_ID: z.string().min(1).optional(),
  /** Secrets Manager secret of the App's webhook secret (a plain string), apart from its key. */
  RUNWAY_GITHUB_WEBHOOK_SECRET_ID: z.string().min(1).optional(),
  /** GitHub's REST API (GitHub Enterprise Server: `https://<host>/api/v3`; tests: the fake). */
  RUNWAY_GITHUB_API_URL: z.url().default('https://api.github.com'),
  /** GitHub's web origin, where the App's install page lives. */
  RUNWAY_GITHUB_WEB_URL: z.url().default('https://github.com'),
  /**
   * Longest a build runs before its runner stops it, in minutes: CodeBuild's Lambda compute stops
   * every build at 15 (https://docs.aws.amazon.com/codebuild/latest/userguide/lambda.html); the
   * builds stack sets the project's own limit. The stuck-deployment sweep derives "stuck" from it.
   */
  RUNWAY_BUILD_LIMIT_MINUTES: z.coerce.number().int().min(1).max(2160).default(15),
  /** Longest a build may wait to start, in minutes (CodeBuild's queue; the local runner's). */
  RUNWAY_BUILD_QUEUE_LIMIT_MINUTES: z.coerce.number().int().min(1).max(480).default(60),
  /** Secrets Manager secret the list cursors' key is derived from (lib/cursor.ts). */
  RUNWAY_CURSOR_SECRET_ID: z.string().min(1).optional(),
  /** The queue between the webhook and its worker (SQS FIFO). */
  RUNWAY_GITHUB_QUEUE_URL: z.url().optional(),
  /** The multi-tenant distribution custom domains attach to as distribution tenants (CloudFront SaaS Manager). */
  RUNWAY_DISTRIBUTION_ID: z.string().min(1).optional(),
  /** The connection group the tenants join; its routing endpoint is what custom domains' CNAMEs point at. */
  RUNWAY_CONNECTION_GROUP_ID: z.string().min(1).optional(),
  /** The routing endpoint custom domains point at (the connection group's, `dxxxx.cloudfront.net`; locally any name in the test DNS). */
  RUNWAY_DOMAIN_TARGET: z.string().min(1).optional(),
  /** DNS servers for domain checks, comma-separated `host[:port]`; default: the system's resolvers. */
  RUNWAY_DNS_SERVERS: z
    .string()
    .min(1)
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .optional(),
  /** The one execution role of users' functions (logs only); set where functions are created (AWS). */
  RUNWAY_FUNCTION_ROLE_ARN: z.string().min(1).optional(),
  /** The launcher layer version every user function runs its handler from (AWS). */
  RUNWAY_FUNCTION_LAYER_ARN: z.string().min(1).optional(),
  /** Days a deployment nobody references keeps its functions (CDK context `runway:functionRetentionDays`). */
  RUNWAY_FUNCTION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
});

export type Config = z.infer<typeof ConfigSchema>;

let cached: Config | undefined;

/** The validated configuration; throws `ConfigError` naming each bad variable. */
export function config(): Config {
  if (cached) return cached;
  const parsed = ConfigSchema.safeParse(process.env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new ConfigError(`Invalid or missing environment variables: ${names}`, { cause: parsed.error });
  }
  cached = parsed.data;
  return cached;
}

/** Forget the cached configuration (tests that change the environment). */
export function resetConfig(): void {
  cached = undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}
