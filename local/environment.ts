import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, DescribeSecretCommand, ResourceExistsException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EMULATOR_AWS_ENV, freePort, isPortFree, startMoto, useOrStartEmulator, type Emulator } from './emulator.ts';
import { deployLocalState } from './state.ts';

export interface LocalAws {
  emulator: Emulator;
  /** Environment of the handlers: emulator endpoint and credentials, and the state stack's names. */
  env: Record<string, string>;
}

/**
 * An emulator with the state stack deployed in it.
 * - `mode: 'shared'` (npm start): reuse an emulator already on the port, or start one there.
 * - `mode: 'private'` (tests, benchmarks): always a fresh moto of our own, on the port if it is
 *   free, else on any free port.
 * - `externalEndpoint` (AWS_ENDPOINT_URL set by the user, e.g. LocalStack): that emulator.
 */
export async function startLocalAws(options: {
  port: number;
  mode: 'shared' | 'private';
  /** An emulator someone else runs (LocalStack): used as is, never started or stopped. */
  externalEndpoint?: string;
  platformDomain?: string;
  /** Where a moto this call starts keeps its state across restarts (`npm start`: `<RUNWAY_STATE_DIR>/emulator.pickle`). @default none: in memory */
  stateFile?: string;
  onLog?: (line: string) => void;
}): Promise<LocalAws> {
  const emulator: Emulator = options.externalEndpoint
    ? { endpoint: options.externalEndpoint, port: Number(new URL(options.externalEndpoint).port), owned: false, stop: async () => {} }
    : options.mode === 'shared'
      ? await useOrStartEmulator(options.port, { ...(options.stateFile ? { stateFile: options.stateFile } : {}), ...(options.onLog ? { onLog: options.onLog } : {}) })
      : await startMoto((await isPortFree(options.port)) ? options.port : await freePort());
  try {
    const state = await deployLocalState(emulator.endpoint);
    const env: Record<string, string> = {
      ...EMULATOR_AWS_ENV,
      AWS_ENDPOINT_URL: emulator.endpoint,
      ...state,
      // The state stack's generated secrets are not created by the emulator's CloudFormation (moto
      // 5.2.1 skips AWS::SecretsManager::Secret), so, like the GitHub App's, this one is put in
      // its Secrets Manager directly: generated once, kept with the emulator's state.
      RUNWAY_CURSOR_SECRET_ID: await localSecret(emulator.endpoint, LOCAL_CURSOR_SECRET),
      RUNWAY_PLATFORM_DOMAIN: options.platformDomain ?? 'localhost',
      RUNWAY_S3_FORCE_PATH_STYLE: 'true',
      POWERTOOLS_METRICS_NAMESPACE: 'Runway',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_DEV: 'false',
      // Metrics are CloudWatch EMF lines: noise locally, where nothing collects them.
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    return { emulator, env };
  } catch (error) {
    await emulator.stop();
    throw error;
  }
}

/** The list cursors' secret in the emulator (the state stack's `CursorKey` in AWS). */
const LOCAL_CURSOR_SECRET = 'runway-local-cursor-key';

/** A secret of 64 random characters in the emulator, created once under `name`. @returns its ARN */
async function localSecret(endpoint: string, name: string): Promise<string> {
  const client = new SecretsManagerClient({
    endpoint,
    region: EMULATOR_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: EMULATOR_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_AWS_ENV.AWS_SECRET_ACCESS_KEY },
  });
  try {
    const created = await client.send(new CreateSecretCommand({ Name: name, SecretString: randomBytes(48).toString('base64url') }));
    return created.ARN ?? name;
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    return (await client.send(new DescribeSecretCommand({ SecretId: name }))).ARN ?? name;
  } finally {
    client.destroy();
  }
}
