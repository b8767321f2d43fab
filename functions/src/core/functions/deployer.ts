import { createHash } from 'node:crypto';
import type { FunctionConfig } from './config.ts';

/**
 * Where a deployment's functions run: one immutable Lambda function per function of a deployment
 * in AWS (created by finalize from the function's zip blob, behind a Function URL only the edge can
 * call), worker processes under `npm start` (the local twin records what to run and the edge's
 * function host reads it). Both implementations pass one contract test.
 */
export interface FunctionDeployer {
  /**
   * Makes every function of a deployment runnable, with `env` (the project's runtime env vars for
   * the deployment's target, decrypted; build-only ones left out) added to each function's own
   * `environment`. Idempotent: a function that already exists for this deployment is kept as is
   * (finalize may be redelivered).
   * @returns one entry per function, in input order
   */
  deploy(input: DeployFunctionsInput): Promise<DeployedFunction[]>;
  /** Deletes every function of a deployment (garbage collection); deleting what is gone is no error. */
  remove(deploymentId: string): Promise<void>;
}

export interface DeployFunctionsInput {
  deploymentId: string;
  teamId: string;
  projectId: string;
  functions: ReadonlyArray<{ name: string; sha: string; config: FunctionConfig }>;
  env: Readonly<Record<string, string>>;
  /**
   * Which of `env` are sensitive (`resolveForBuild`'s `sensitiveKeys`): the local twin redacts their
   * values from function logs, as build logs are redacted. Lambda writes logs itself, unredacted.
   */
  sensitiveKeys?: readonly string[] | undefined;
}

export interface DeployedFunction {
  name: string;
  /** The platform's name for it (the Lambda function name in AWS). */
  functionName: string;
  /** Where the edge sends its requests (a Function URL in AWS, the local host's key locally). */
  url: string;
}

/** Prefix of every function Runway creates for users: the control plane may manage only `runway-fn-*` (IAM scopes it). */
export const FUNCTION_NAME_PREFIX = 'runway-fn-';

/**
 * The platform's name of one function of one deployment: `runway-fn-<short id>-<first 16 hex of sha256(name)>`
 * (36 characters; Lambda allows 64: https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html).
 * Its logs are in the log group `/aws/lambda/<that name>`, in AWS and in the emulator alike.
 * @param deploymentId `dpl_<short id>`
 * @param name the function's name in the deployment, e.g. `api/hello`
 */
export function functionNameFor(deploymentId: string, name: string): string {
  return `${FUNCTION_NAME_PREFIX}${deploymentId.slice('dpl_'.length)}-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

/** The log group of a function of a deployment, as Lambda names it (`/aws/lambda/<function name>`). */
export const functionLogGroup = (functionName: string): string => `/aws/lambda/${functionName}`;
