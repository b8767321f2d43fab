import * as z from 'zod';
import { ValidationError } from '#core/errors';

/**
 * The Node.js runtimes a function may name in `.vc-config.json`; each runs on the Lambda managed
 * runtime of the same name (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).
 */
export const NODE_RUNTIMES = ['nodejs20.x', 'nodejs22.x', 'nodejs24.x'] as const;
export type NodeRuntime = (typeof NODE_RUNTIMES)[number];

/**
 * Lambda's limits a function's configuration must fit, from "Lambda quotas"
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): memory 128–10,240 MB,
 * timeout up to 900 s (15 min), 250 MB deployment package unzipped. Response payloads: 6 MB buffered,
 * 20 MB streamed through a Function URL (https://docs.aws.amazon.com/lambda/latest/dg/config-rs-invoke-furls.html,
 * CDK `InvokeMode`), request payload 6 MB.
 */
export const LAMBDA_LIMITS = {
  minMemoryMb: 128,
  maxMemoryMb: 10_240,
  minDurationSeconds: 1,
  maxDurationSeconds: 900,
  maxUnzippedBytes: 250 * 1024 * 1024,
  maxBufferedResponseBytes: 6 * 1024 * 1024,
  maxStreamedResponseBytes: 20 * 1024 * 1024,
  maxRequestBytes: 6 * 1024 * 1024,
} as const;

/**
 * Environment variable names Lambda reserves (it sets them; CreateFunction refuses them), refused in a
 * function's `.vc-config.json` `environment` and as project env var names. Not reserved, so allowed
 * (they affect only the function itself): PATH, LANG, LD_LIBRARY_PATH, NODE_PATH…, per the same page:
 * "Defined runtime environment variables", https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-runtime.html.
 */
export const LAMBDA_RESERVED_ENV = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]);

/**
 * Defaults when `.vc-config.json` leaves them out: Vercel documents 1024 MB memory (SvelteKit
 * adapter-vercel docs) and a 15 s default duration on Pro (https://vercel.com/docs/functions/limitations).
 */
export const FUNCTION_DEFAULTS = { memoryMb: 1024, maxDurationSeconds: 15 } as const;

/**
 * The fields of a Node.js function's `.vc-config.json` Runway reads (Build Output API v3,
 * https://vercel.com/docs/build-output-api/v3/primitives#serverless-function-configuration; the
 * serialized shape is `SerializedNodejsLambda` in vercel/vercel packages/build-utils/src/deserialize).
 * Fields written by frameworks that Runway does not use (`framework`, `architecture`,
 * `operationType`, `supportsWrapper`, …) are kept out of the result and listed as notes, not refused:
 * newer adapters add fields, and refusing them would fail deployments Vercel accepts.
 */
const VcConfigFields = z.object({
  runtime: z.string().min(1),
  handler: z.string().min(1).optional(),
  entrypoint: z.string().min(1).optional(),
  launcherType: z.string().optional(),
  shouldAddHelpers: z.boolean().optional(),
  supportsResponseStreaming: z.boolean().optional(),
  /** Older Vercel CLIs wrote this name (build-utils deserialize-lambda.ts still reads it). */
  experimentalResponseStreaming: z.boolean().optional(),
  memory: z.number().int().optional(),
  maxDuration: z.number().int().optional(),
  environment: z.record(z.string(), z.string()).optional(),
  regions: z.array(z.string()).optional(),
  filePathMap: z.record(z.string(), z.string()).optional(),
});
const KNOWN_FIELDS = new Set(Object.keys(VcConfigFields.shape));

/** A Node.js function's validated configuration, defaults applied. */
export const FunctionConfig = z.strictObject({
  runtime: z.enum(NODE_RUNTIMES),
  /** The module to load, relative to the function's directory (e.g. `index.js`). */
  handler: z.string(),
  shouldAddHelpers: z.boolean(),
  supportsResponseStreaming: z.boolean(),
  memoryMb: z.number().int(),
  maxDurationSeconds: z.number().int(),
  /** The function's own variables from `.vc-config.json`; the deployment's env vars are added at run time. */
  environment: z.record(z.string(), z.string()),
  /** function-relative path → project-relative path: files the function uses from outside its directory. */
  filePathMap: z.record(z.string(), z.string()),
});
export type FunctionConfig = z.infer<typeof FunctionConfig>;

/** What parsing noticed but did not refuse: ignored fields, `regions`. Shown to users with the build. */
export interface ConfigNote {
  readonly function: string;
  readonly message: string;
}

/** A `.vc-config.json` Runway cannot deploy; `details.function` names the function. */
export class FunctionConfigError extends ValidationError {
  override name = 'FunctionConfigError';
}

/**
 * Validates one function's `.vc-config.json` (already JSON-parsed).
 * @param name the function's path in the output without `.func`, e.g. `api/hello`
 * @returns the configuration with defaults and the notes to show
 * @throws FunctionConfigError `edge_runtime_unsupported` (`runtime: "edge"`), `unsupported_runtime`
 *   (anything but nodejs20.x/22.x/24.x), `unsupported_launcher` (a Node.js runtime without
 *   `launcherType: "Nodejs"`), `memory_out_of_range`, `max_duration_out_of_range`, `invalid_function_config`
 */
export function parseFunctionConfig(name: string, raw: unknown): { config: FunctionConfig; notes: ConfigNote[] } {
  const parsed = VcConfigFields.safeParse(raw);
  if (!parsed.success) {
    throw new FunctionConfigError('invalid_function_config', `Function "${name}": .vc-config.json is not valid: ${z.prettifyError(parsed.error)}`, { function: name });
  }
  const vc = parsed.data;
  if (vc.runtime === 'edge') {
    throw new FunctionConfigError(
      'edge_runtime_unsupported',
      `Function "${name}" uses the Edge runtime, which Runway does not run yet: set its runtime to Node.js (e.g. \`export const runtime = 'nodejs'\`) and deploy again`,
      { function: name, runtime: vc.runtime },
    );
  }
  if (!(NODE_RUNTIMES as readonly string[]).includes(vc.runtime)) {
    throw new FunctionConfigError('unsupported_runtime', `Function "${name}" uses runtime "${vc.runtime}"; Runway runs ${NODE_RUNTIMES.join(', ')}`, {
      function: name,
      runtime: vc.runtime,
      supported: [...NODE_RUNTIMES],
    });
  }
  if (vc.launcherType !== 'Nodejs') {
    throw new FunctionConfigError('unsupported_launcher', `Function "${name}" has launcherType ${JSON.stringify(vc.launcherType ?? null)}; Runway runs only "Nodejs" (Vercel's Node.js launcher)`, {
      function: name,
    });
  }
  if (!vc.handler) {
    throw new FunctionConfigError('invalid_function_config', `Function "${name}": .vc-config.json names no "handler"`, { function: name });
  }
  const memoryMb = vc.memory ?? FUNCTION_DEFAULTS.memoryMb;
  if (memoryMb < LAMBDA_LIMITS.minMemoryMb || memoryMb > LAMBDA_LIMITS.maxMemoryMb) {
    throw new FunctionConfigError(
      'memory_out_of_range',
      `Function "${name}" asks for ${memoryMb} MB of memory; Lambda allows ${LAMBDA_LIMITS.minMemoryMb}–${LAMBDA_LIMITS.maxMemoryMb} MB`,
      { function: name, memory: memoryMb },
    );
  }
  const maxDurationSeconds = vc.maxDuration ?? FUNCTION_DEFAULTS.maxDurationSeconds;
  if (maxDurationSeconds < LAMBDA_LIMITS.minDurationSeconds || maxDurationSeconds > LAMBDA_LIMITS.maxDurationSeconds) {
    throw new FunctionConfigError(
      'max_duration_out_of_range',
      `Function "${name}" asks for a maxDuration of ${maxDurationSeconds} s; Lambda allows ${LAMBDA_LIMITS.minDurationSeconds}–${LAMBDA_LIMITS.maxDurationSeconds} s`,
      { function: name, maxDuration: maxDurationSeconds },
    );
  }
  const reserved = Object.keys(vc.environment ?? {}).filter((key) => LAMBDA_RESERVED_ENV.has(key));
  if (reserved.length) {
    throw new FunctionConfigError('function_env_reserved', `Function "${name}": its .vc-config.json environment sets ${reserved.join(', ')}, which Lambda reserves; rename them`, {
      function: name,
      names: reserved,
    });
  }
  const notes: ConfigNote[] = [];
  if (vc.regions?.length) {
    notes.push({ function: name, message: `"regions" (${vc.regions.join(', ')}) is ignored: functions run in the Region Runway is installed in` });
  }
  const ignored = Object.keys(raw as object).filter((key) => !KNOWN_FIELDS.has(key));
  if (ignored.length) {
    notes.push({ function: name, message: `.vc-config.json fields Runway does not use were ignored: ${ignored.sort().join(', ')}` });
  }
  return {
    config: {
      runtime: vc.runtime as NodeRuntime,
      handler: vc.handler,
      shouldAddHelpers: vc.shouldAddHelpers ?? false,
      supportsResponseStreaming: vc.supportsResponseStreaming ?? vc.experimentalResponseStreaming ?? false,
      memoryMb,
      maxDurationSeconds,
      environment: vc.environment ?? {},
      filePathMap: vc.filePathMap ?? {},
    },
    notes,
  };
}

/**
 * A validated configuration written back as `.vc-config.json` fields: what the builder puts in the
 * manifest, so that the control plane validates it with the same {@link parseFunctionConfig}.
 * `filePathMap` is left out: the builder has copied those files into the function's zip.
 */
export function toVcConfig(config: FunctionConfig): Record<string, unknown> {
  return {
    runtime: config.runtime,
    handler: config.handler,
    launcherType: 'Nodejs',
    shouldAddHelpers: config.shouldAddHelpers,
    supportsResponseStreaming: config.supportsResponseStreaming,
    memory: config.memoryMb,
    maxDuration: config.maxDurationSeconds,
    environment: { ...config.environment },
  };
}
