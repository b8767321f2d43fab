import { S3BlobStore } from '#adapters/blob-store/s3';
import { KmsEnvCipher } from '#adapters/env-cipher/kms';
import { PortNotConfiguredError, type Ports } from '#core/ports';

/**
 * The registry of port implementations, in three layers (later wins):
 * 1. built-in defaults: blobs in S3 and env values encrypted with KMS (the same adapters serve AWS
 *    and the emulator); the build scheduler, the edge store and GitHub throw {@link PortNotConfiguredError};
 * 2. defaults a Lambda entry point provides with {@link provideDefaultPorts}, for adapters only some
 *    functions need (so the others do not bundle those SDK clients);
 * 3. overrides that `npm start` and tests inject with {@link usePorts}.
 */
let builtIn: Ports | undefined;
let defaults: Partial<Ports> = {};
let overrides: Partial<Ports> = {};

export function ports(): Ports {
  builtIn ??= {
    blobStore: new S3BlobStore(),
    envCipher: new KmsEnvCipher(),
    buildScheduler: notConfigured('BuildScheduler', ['schedule', 'cancel']),
    edgeStore: notConfigured('EdgeStore', ['put', 'delete', 'get']),
    github: notConfigured('GitHub', ['installation', 'repositories', 'userInstallations', 'commit', 'tarballUrl', 'setCommitStatus', 'createDeployment', 'setDeploymentStatus', 'upsertComment']),
    githubQueue: notConfigured('GitHubQueue', ['send']),
  };
  return { ...builtIn, ...defaults, ...overrides };
}

/** For Lambda entry points: implementations to use when nothing is injected. */
export function provideDefaultPorts(partial: Partial<Ports>): void {
  defaults = { ...defaults, ...partial };
}

/**
 * Replaces some ports (the rest keep their current implementation).
 * @returns a function that restores the previous ones
 */
export function usePorts(partial: Partial<Ports>): () => void {
  const previous = overrides;
  overrides = { ...overrides, ...partial };
  return () => {
    overrides = previous;
  };
}

function notConfigured<T>(port: string, methods: string[]): T {
  const reject = async () => {
    throw new PortNotConfiguredError(port);
  };
  return Object.fromEntries(methods.map((m) => [m, reject])) as T;
}
