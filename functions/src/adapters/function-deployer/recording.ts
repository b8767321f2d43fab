import { type DeployedFunction, type DeployFunctionsInput, type FunctionDeployer, functionNameFor } from '#core/functions/index';

/**
 * A placeholder `FunctionDeployer` that runs nothing: it records what finalize asked for, per
 * deployment, so that `npm start` and tests can see the call. The local twin that runs worker
 * processes (fn-serve) and the Lambda adapter (fn-aws) replace it. Its `url` is the platform name
 * of the function, prefixed `recorded:`: nothing answers there.
 */
export class RecordingFunctionDeployer implements FunctionDeployer {
  /** deploymentId → the last input deployed for it. */
  readonly deployed = new Map<string, DeployFunctionsInput>();
  readonly removed: string[] = [];

  async deploy(input: DeployFunctionsInput): Promise<DeployedFunction[]> {
    // Idempotent as the port asks: a repeated call for a deployment keeps the first record.
    if (!this.deployed.has(input.deploymentId)) this.deployed.set(input.deploymentId, structuredClone(input));
    return input.functions.map(({ name }) => {
      const functionName = functionNameFor(input.deploymentId, name);
      return { name, functionName, url: `recorded:${functionName}` };
    });
  }

  async remove(deploymentId: string): Promise<void> {
    this.deployed.delete(deploymentId);
    this.removed.push(deploymentId);
  }
}
