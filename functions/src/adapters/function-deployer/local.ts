import { FunctionConfig, functionNameFor, type DeployedFunction, type DeployFunctionsInput, type FunctionDeployer } from '#core/functions/index';
import type { ArtifactStore, EnvCipher } from '#core/ports';

/** Where the local twin keeps a deployment's record in the artifact bucket. */
export const localFunctionsKey = (deploymentId: string): string => `functions/${deploymentId}.json`;

/** What the local twin stores per deployment: no env value in plaintext, each one KMS-encrypted. */
interface StoredRecord {
  deploymentId: string;
  teamId: string;
  projectId: string;
  functions: Array<{ name: string; functionName: string; sha: string; config: FunctionConfig }>;
  /** Runtime env var name → KMS ciphertext (base64), encryption context {@link envContext}. */
  env: Record<string, string>;
  /** Names of the sensitive ones (redacted from function logs). */
  sensitiveKeys: string[];
}

/** One function of a deployment as the local function host runs it. */
export interface LocalFunction {
  name: string;
  /** `runway-fn-…` ({@link functionNameFor}): its log group is `/aws/lambda/<functionName>`. */
  functionName: string;
  /** sha256 of its zip blob (`blobs/<teamId>/<sha>`). */
  sha: string;
  config: FunctionConfig;
}

/** A deployment's functions with their runtime env decrypted, for the host that starts workers. */
export interface LocalDeploymentFunctions {
  deploymentId: string;
  teamId: string;
  projectId: string;
  functions: LocalFunction[];
  env: Record<string, string>;
  /** Names of the sensitive vars of `env`. */
  sensitiveKeys: string[];
}

/** KMS binds each value to its deployment and name: a ciphertext moved elsewhere does not decrypt. */
const envContext = (deploymentId: string, name: string) => ({ purpose: 'function-env', deploymentId, name });

/**
 * The local twin of the Lambda function deployer (`npm start`): `deploy` records, per deployment,
 * each function's name, zip sha and configuration and the runtime env snapshot — every value
 * encrypted with the emulator's KMS key (the same key as env vars) — as `functions/<id>.json` in
 * the artifact bucket; the local edge's function host reads it ({@link read}) to start workers.
 * Like Lambda, a deployment's functions and their env are fixed once deployed: a second `deploy`
 * keeps the first record (finalize may be redelivered), and an env change needs a redeploy.
 */
export class LocalFunctionDeployer implements FunctionDeployer {
  /**
   * @param options.sensitiveKeys names of the project's sensitive env vars, for a caller that does
   *   not pass `sensitiveKeys` to `deploy` (their values are redacted from function logs)
   */
  constructor(
    private readonly artifacts: Pick<ArtifactStore, 'getText' | 'putText' | 'delete'>,
    private readonly cipher: EnvCipher,
    private readonly options: { sensitiveKeys?: (projectId: string) => Promise<readonly string[]> } = {},
  ) {}

  async deploy(input: DeployFunctionsInput): Promise<DeployedFunction[]> {
    const key = localFunctionsKey(input.deploymentId);
    const existing = await this.artifacts.getText(key);
    const stored = existing === undefined ? undefined : (JSON.parse(existing) as StoredRecord);
    if (!stored) {
      const names = Object.keys(input.env);
      const ciphertexts = await Promise.all(names.map((name) => this.cipher.encrypt(input.env[name]!, envContext(input.deploymentId, name))));
      const record: StoredRecord = {
        deploymentId: input.deploymentId,
        teamId: input.teamId,
        projectId: input.projectId,
        functions: input.functions.map((fn) => ({ name: fn.name, functionName: functionNameFor(input.deploymentId, fn.name), sha: fn.sha, config: FunctionConfig.parse(fn.config) })),
        env: Object.fromEntries(names.map((name, i) => [name, ciphertexts[i]!])),
        sensitiveKeys: (input.sensitiveKeys ?? (await this.options.sensitiveKeys?.(input.projectId)) ?? []).filter((key) => Object.hasOwn(input.env, key)),
      };
      await this.artifacts.putText(key, JSON.stringify(record), 'application/json');
    }
    return input.functions.map((fn) => {
      const functionName = functionNameFor(input.deploymentId, fn.name);
      return { name: fn.name, functionName, url: localFunctionUrl(input.deploymentId, fn.name) };
    });
  }

  async remove(deploymentId: string): Promise<void> {
    await this.artifacts.delete(localFunctionsKey(deploymentId));
  }

  /**
   * The deployment's functions and their runtime env (decrypted), or `undefined` when nothing was
   * deployed for it (a static deployment, or one removed by garbage collection).
   */
  async read(deploymentId: string): Promise<LocalDeploymentFunctions | undefined> {
    const text = await this.artifacts.getText(localFunctionsKey(deploymentId));
    if (text === undefined) return undefined;
    const stored = JSON.parse(text) as StoredRecord;
    const names = Object.keys(stored.env);
    const values = await Promise.all(names.map((name) => this.cipher.decrypt(stored.env[name]!, envContext(deploymentId, name))));
    return {
      deploymentId: stored.deploymentId,
      teamId: stored.teamId,
      projectId: stored.projectId,
      functions: stored.functions.map((fn) => ({ ...fn, config: FunctionConfig.parse(fn.config) })),
      env: Object.fromEntries(names.map((name, i) => [name, values[i]!])),
      sensitiveKeys: stored.sensitiveKeys ?? [],
    };
  }
}

/** The local host's key of a function: `runway-local://<deploymentId>/<name>` (not a network address). */
export const localFunctionUrl = (deploymentId: string, name: string): string => `runway-local://${deploymentId}/${name}`;
