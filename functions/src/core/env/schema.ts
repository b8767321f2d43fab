import * as z from 'zod';
import { LAMBDA_RESERVED_ENV } from '#core/functions/config';
import { EnvId, ProjectId, Timestamp } from '#core/schemas';

export const ENV_TARGETS = ['production', 'preview', 'development'] as const;
export const EnvTarget = z.enum(ENV_TARGETS);
export type EnvTarget = z.infer<typeof EnvTarget>;

/** Largest value: what one KMS Encrypt call takes. */
export const MAX_ENV_VALUE_BYTES = 4096;

export const EnvKey = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be letters, digits and "_", not starting with a digit')
  .refine((k) => !/^(RUNWAY_|AWS_)/i.test(k), 'RUNWAY_ and AWS_ prefixes are reserved for the platform')
  .refine((k) => !LAMBDA_RESERVED_ENV.has(k), 'Lambda reserves this name (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-runtime.html)');

/**
 * Where a var is available, Netlify's scopes (https://docs.netlify.com/build/environment-variables/overview/#scopes):
 * `builds` (the build's environment) and `functions` (the deployment's functions at run time).
 * Absent means both; `["builds"]` is a build-only var (a package-registry token, say).
 */
export const ENV_SCOPES = ['builds', 'functions'] as const;
export const EnvScope = z.enum(ENV_SCOPES);
export type EnvScope = z.infer<typeof EnvScope>;
const EnvScopes = z
  .array(EnvScope)
  .min(1)
  .refine((s) => new Set(s).size === s.length, 'lists a scope twice')
  .describe('Where the var is available: `builds`, `functions` (run time), or both (the default)');

const EnvValue = z
  .string()
  .refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_ENV_VALUE_BYTES, `must be at most ${MAX_ENV_VALUE_BYTES} bytes`);

export const CreateEnvBody = z.strictObject({
  key: EnvKey,
  value: EnvValue,
  target: z
    .array(EnvTarget)
    .min(1)
    .refine((t) => new Set(t).size === t.length, 'lists a target twice'),
  sensitive: z.boolean().default(false).describe('Write-only: the value is never returned again'),
  scopes: EnvScopes.optional(),
});
export type CreateEnvBody = z.infer<typeof CreateEnvBody>;

export const UpdateEnvBody = z
  .strictObject({
    value: EnvValue.optional(),
    sensitive: z.literal(true).optional().describe('Make the value write-only (there is no way back)'),
    scopes: EnvScopes.optional(),
  })
  .refine((b) => b.value !== undefined || b.sensitive !== undefined || b.scopes !== undefined, 'nothing to change');
export type UpdateEnvBody = z.infer<typeof UpdateEnvBody>;

/** An env var as the API returns it: `value` only for plain vars, to owners and members. */
export const EnvVarInfo = z.strictObject({
  id: EnvId,
  projectId: ProjectId,
  key: z.string(),
  target: EnvTarget,
  sensitive: z.boolean(),
  scopes: z.array(EnvScope),
  value: z.string().optional(),
  /** True when `value` is withheld: sensitive, or the caller is a viewer. */
  masked: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: z.number().int(),
});
export type EnvVarInfo = z.infer<typeof EnvVarInfo>;
