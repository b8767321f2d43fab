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
