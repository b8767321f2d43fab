import {
  type Architecture,
  CreateFunctionCommand,
  CreateFunctionUrlConfigCommand,
  DeleteFunctionCommand,
  GetFunctionUrlConfigCommand,
  LambdaClient,
  ListFunctionsCommand,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, CreateLogGroupCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '#adapters/aws/clients';
import { blobKey, functionUrlsKey } from '#core/artifact-keys';
import { ValidationError } from '#core/errors';
import type { FunctionInventory } from '#core/functions/gc';
import {
  type DeployedFunction,
  type DeployFunctionsInput,
  FUNCTION_NAME_PREFIX,
  type FunctionConfig,
  type FunctionDeployer,
  functionLogGroup,
  functionNameFor,
  LAMBDA_RESERVED_ENV,
} from '#core/functions/index';
import { config } from '#lib/config';

/**
 * The AWS `FunctionDeployer`: one immutable Lambda function per function of a deployment, behind a
 * Function URL only the edge can call.
 *
 * Per function (`functionNameFor`, `runway-fn-<short id>-<hash>`):
 * - `CreateFunction` (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html) with the
 *   code read by Lambda from the artifact bucket at `blobs/<teamId>/<sha>` (the zip the builder
 *   stored; the bucket must be in the function's Region, https://docs.aws.amazon.com/lambda/latest/api/API_FunctionCode.html;
 *   Lambda fetches it on the caller's behalf — the API reference does not say with whose
 *   permissions, and no bucket policy names Lambda — so the control plane, not the function role,
 *   gets `s3:GetObject` on `blobs/*`; not verified against AWS here), the
 *   runtime, memory and timeout of the function's `.vc-config.json`, `arm64` (Graviton, about 20 %
 *   cheaper per GB-s: https://docs.aws.amazon.com/lambda/latest/dg/foundation-arch.html) unless the
 *   config asks for `x86_64` (a zip with native x64 binaries, e.g. sharp's or Prisma's prebuilt
 *   `linux-x64` engines, cannot run on arm64), the shared function execution role (logs only), the
 *   launcher layer, tags, and `LoggingConfig.LogGroup` = `/aws/lambda/<name>` (its own group:
 *   https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html).
 * - The handler is the launcher in the layer: `/opt/runway/launcher.handler`. The Node.js runtime
 *   resolves the handler's module with `path.resolve(LAMBDA_TASK_ROOT, moduleRoot, module)`
 *   (aws-lambda-nodejs-runtime-interface-client `UserFunction` `_moduleRootAndHandler`), so an
 *   absolute path into the layer (extracted to `/opt`: https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html)
 *   loads it; the launcher then reads `.vc-config.json` from the zip's root (`LAMBDA_TASK_ROOT`) and
 *   loads the user's handler beside it.
 * - Environment = the function's own `environment` + the deployment's runtime env (the latter wins),
 *   encrypted at rest by Lambda with the AWS managed key `aws/lambda`
 *   (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html). Lambda
 *   allows 4 KB in all (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html) and
 *   reserves some names: both refused with a clear error before anything is created.
 * - Waits until the function is `Active` (`waitUntilFunctionActiveV2`), then a Function URL with
 *   `AuthType: AWS_IAM` (only a principal allowed `lambda:InvokeFunctionUrl` — the edge's role — can
 *   call it) and `InvokeMode` RESPONSE_STREAM when the function streams, BUFFERED otherwise
 *   (https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html).
 *
 * Before the function, its log group is created with a retention (30 days by default): the group
 * Lambda would create itself keeps events forever, and outlives the function after GC.
 *
 * Finally the deployment's `name → Function URL host` map goes to the artifact bucket at
 * `functions/<deploymentId>.json`, where origin-request reads it (Function URL ids are random: the
 * edge cannot derive them from the name).
 *
 * Idempotent: a redelivered finalize finds the function (ResourceConflictException) and its URL and
 * reuses them — a function of a deployment is immutable, so the existing one is the right one.
 */
export interface LambdaFunctionDeployerOptions {
  lambda: LambdaClient;
  s3: S3Client;
  logs: CloudWatchLogsClient;
  /** Days a function's log group keeps its events (default {@link FUNCTION_LOG_RETENTION_DAYS}). */
  logRetentionDays?: number;
  /** The artifact bucket (the function zips and the URL maps). */
  bucket: string;
  /** ARN of the one function execution role (CDK `FunctionsAccess`), which may only write logs. */
  executionRoleArn: string;
  /** ARN of the launcher layer version (CDK builds it from functions/src/launcher/lambda.ts). */
  launcherLayerArn: string;
  /** Longest wait for a function to become Active, in seconds (default 300). */
  activeWaitSeconds?: number;
  /** Functions created at once (default 4: Lambda's control-plane API is rate limited per account). */
  concurrency?: number;
}

/**
 * The deployer as Lambda entry points use it: the configured artifact bucket, function role and
 * launcher layer (`RUNWAY_FUNCTION_ROLE_ARN`, `RUNWAY_FUNCTION_LAYER_ARN`, set by the CDK stack).
 * @throws Error when the role or the layer is not configured
 */
export function configuredLambdaFunctionDeployer(): LambdaFunctionDeployer {
  const { RUNWAY_ARTIFACT_BUCKET, RUNWAY_FUNCTION_ROLE_ARN, RUNWAY_FUNCTION_LAYER_ARN } = config();
  if (!RUNWAY_FUNCTION_ROLE_ARN || !RUNWAY_FUNCTION_LAYER_ARN) throw new Error('RUNWAY_FUNCTION_ROLE_ARN and RUNWAY_FUNCTION_LAYER_ARN must be set where functions are deployed');
  return new LambdaFunctionDeployer({ lambda: new LambdaClient({}), s3: s3Client(), logs: new CloudWatchLogsClient({}), bucket: RUNWAY_ARTIFACT_BUCKET, executionRoleArn: RUNWAY_FUNCTION_ROLE_ARN, launcherLayerArn: RUNWAY_FUNCTION_LAYER_ARN });
}

/**
 * Retention of a user function's log group, in days (a value CloudWatch Logs accepts:
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html);
 * as long as an unreferenced deployment's functions are kept by default.
 */
export const FUNCTION_LOG_RETENTION_DAYS = 30;

/** Handler of every Runway function: the launcher in the layer (see the class docstring). */
export const LAUNCHER_HANDLER = '/opt/runway/launcher.handler';


/** Lambda's limit on all of a function's environment variables together: 4 KB (configuration-envvars.html). */
export const LAMBDA_ENV_MAX_BYTES = 4 * 1024;

/** Tag keys on every function: what GC and people find a function by. */
export const FUNCTION_TAGS = { deployment: 'runway:deployment', project: 'runway:project', team: 'runway:team', function: 'runway:function' } as const;

/** The `functions/<deploymentId>.json` map origin-request reads: function name → Function URL host. */
export type FunctionUrlMap = Record<string, string>;

export class LambdaFunctionDeployer implements FunctionDeployer, FunctionInventory {
  constructor(private readonly options: LambdaFunctionDeployerOptions) {}

  async deploy(input: DeployFunctionsInput): Promise<DeployedFunction[]> {
    // Check every function first, so a refused env creates nothing.
    const planned = input.functions.map((fn) => ({ fn, functionName: functionNameFor(input.deploymentId, fn.name), environment: environmentOf(fn.name, fn.config, input.env) }));
    const deployed = await mapLimit(planned, this.options.concurrency ?? 4, async ({ fn, functionName, environment }) => {
      await this.createFunction(input, fn, functionName, environment);
      await waitUntilFunctionActiveV2({ client: this.options.lambda, maxWaitTime: this.options.activeWaitSeconds ?? 300 }, { FunctionName: functionName });
      const url = await this.functionUrl(functionName, fn.config.supportsResponseStreaming);
      return { name: fn.name, functionName, url };
    });
    if (deployed.length > 0) {
      const map: FunctionUrlMap = Object.fromEntries(deployed.map((d) => [d.name, new URL(d.url).host]));
      await this.options.s3.send(
        new PutObjectCommand({ Bucket: this.options.bucket, Key: functionUrlsKey(input.deploymentId), Body: JSON.stringify(map), ContentType: 'application/json' }),
      );
    }
    return deployed;
  }

  async remove(deploymentId: string): Promise<void> {
    const names = await this.functionNamesOf(deploymentId);
    await mapLimit(names, this.options.concurrency ?? 4, async (name) => {
      try {
        // Deleting the function deletes its URL too (DeleteFunction: "removes the function URL"… and its versions).
        await this.options.lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
      } catch (error) {
        if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      }
    });
    await this.options.s3.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: functionUrlsKey(deploymentId) }));
  }

  /** The Lambda functions of a deployment, found by name prefix `runway-fn-<short id>-`. */
  async functionNamesOf(deploymentId: string): Promise<string[]> {
    const prefix = `${FUNCTION_NAME_PREFIX}${deploymentId.slice('dpl_'.length)}-`;
    return (await this.allFunctionNames()).filter((name) => name.startsWith(prefix));
  }

  /** Ids of the deployments with at least one function, from the names (`runway-fn-<short id>-<16 hex>`). */
  async deploymentsWithFunctions(): Promise<string[]> {
    const ids = new Set<string>();
    for (const name of await this.allFunctionNames()) {
      const shortId = /^runway-fn-(.+)-[0-9a-f]{16}$/.exec(name)?.[1];
      if (shortId) ids.add(`dpl_${shortId}`);
    }
    return [...ids];
  }

  /**
   * Every `runway-fn-*` function of the Region, over ListFunctions (50 a page, no server-side name
   * filter: https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html).
   */
  private async allFunctionNames(): Promise<string[]> {
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.options.lambda.send(new ListFunctionsCommand({ Marker: marker, MaxItems: 50 }));
      for (const fn of page.Functions ?? []) if (fn.FunctionName?.startsWith(FUNCTION_NAME_PREFIX)) names.push(fn.FunctionName);
      marker = page.NextMarker;
    } while (marker);
    return names;
  }

  /** The function's log group with its retention, before Lambda would create one that keeps events forever. */
  private async createLogGroup(functionName: string) {
    const logGroupName = functionLogGroup(functionName);
    try {
      await this.options.logs.send(new CreateLogGroupCommand({ logGroupName }));
    } catch (error) {
      if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
    }
    await this.options.logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: this.options.logRetentionDays ?? FUNCTION_LOG_RETENTION_DAYS }));
  }

  private async createFunction(input: DeployFunctionsInput, fn: DeployFunctionsInput['functions'][number], functionName: string, environment: Record<string, string>) {
    await this.createLogGroup(functionName);
    try {
      await this.options.lambda.send(
        new CreateFunctionCommand({
          FunctionName: functionName,
          Description: `Runway ${input.deploymentId} ${fn.name}`.slice(0, 256),
          Runtime: fn.config.runtime,
          Handler: LAUNCHER_HANDLER,
          Role: this.options.executionRoleArn,
          Code: { S3Bucket: this.options.bucket, S3Key: blobKey(input.teamId, fn.sha) },
          Layers: [this.options.launcherLayerArn],
          Architectures: [architectureOf(fn.config)],
          MemorySize: fn.config.memoryMb,
          Timeout: fn.config.maxDurationSeconds,
          Environment: { Variables: environment },
          LoggingConfig: { LogFormat: 'Text', LogGroup: functionLogGroup(functionName) },
          Tags: {
            [FUNCTION_TAGS.deployment]: input.deploymentId,
            [FUNCTION_TAGS.project]: input.projectId,
            [FUNCTION_TAGS.team]: input.teamId,
            // Tag values allow 256 characters of letters, digits, spaces and _.:/=+-@.
            [FUNCTION_TAGS.function]: fn.name.replace(/[^\w.:/=+\-@ ]/g, '_').slice(0, 256),
          },
        }),
      );
    } catch (error) {
      // A redelivered finalize: the function exists, and a deployment's function never changes.
      if ((error as Error).name !== 'ResourceConflictException') throw error;
    }
  }

  /** The function's URL: the existing one (redelivery), else a new one; a concurrent create → read it back. */
  private async functionUrl(functionName: string, streaming: boolean): Promise<string> {
    const existing = await this.getUrl(functionName);
    if (existing) return existing;
    try {
      const created = await this.options.lambda.send(
        new CreateFunctionUrlConfigCommand({ FunctionName: functionName, AuthType: 'AWS_IAM', InvokeMode: streaming ? 'RESPONSE_STREAM' : 'BUFFERED' }),
      );
      return created.FunctionUrl!;
    } catch (error) {
      if ((error as Error).name !== 'ResourceConflictException') throw error;
      return (await this.getUrl(functionName))!;
    }
  }

  private async getUrl(functionName: string): Promise<string | undefined> {
    try {
      return (await this.options.lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: functionName }))).FunctionUrl;
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }
}

/**
 * A function's Lambda architecture: `x86_64` only when its config says so (a build that found
 * native x64 binaries in the function sets `architecture`, as Vercel's `.vc-config.json` does),
 * `arm64` otherwise.
 */
export function architectureOf(config: FunctionConfig): Architecture {
  return (config as FunctionConfig & { architecture?: string }).architecture === 'x86_64' ? 'x86_64' : 'arm64';
}

/**
 * The environment of one function: its `.vc-config.json` `environment`, then the deployment's
 * runtime env (which wins).
 * @throws ValidationError `function_env_reserved` (a name Lambda reserves), `function_env_too_large`
 *   (over Lambda's 4 KB, counted as the UTF-8 bytes of every name and value)
 */
export function environmentOf(name: string, config: FunctionConfig, env: Readonly<Record<string, string>>): Record<string, string> {
  const merged = { ...config.environment, ...env };
  const reserved = Object.keys(merged).filter((key) => LAMBDA_RESERVED_ENV.has(key));
  if (reserved.length) {
    throw new ValidationError('function_env_reserved', `Function "${name}": Lambda reserves the environment variable name(s) ${reserved.join(', ')}; rename them`, {
      function: name,
      names: reserved,
    });
  }
  const bytes = Object.entries(merged).reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0);
  if (bytes > LAMBDA_ENV_MAX_BYTES) {
    throw new ValidationError(
      'function_env_too_large',
      `Function "${name}": its environment variables take ${bytes} bytes; Lambda allows ${LAMBDA_ENV_MAX_BYTES} in all (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html)`,
      { function: name, bytes, limit: LAMBDA_ENV_MAX_BYTES },
    );
  }
  return merged;
}

/** `items` mapped by `fn`, at most `limit` at once, results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
