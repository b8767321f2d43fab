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
}

export interface DeployedFunction {
  name: string;
  /** The platform's name for it (the Lambda function name in AWS). */
  functionName: string;
  /** Where the edge sends its requests (a Function URL in AWS, the local host's key locally). */
  url: string;
}
