import type { DeploymentInfo as Deployment, DeploymentSource } from './deployment/schema.ts';

/**
 * Ports of the control plane: what the domain needs from the outside world, declared once.
 * Implementations live in `functions/src/adapters/<port>/<impl>.ts`; the registry in
 * `lib/ports.ts` hands them out (`ports()`) and lets `npm start` and tests swap them (`usePorts`).
 */

/** A deployment as handed to the build system: the record plus its full source (file list inline). */
export type SchedulableDeployment = Omit<Deployment, 'source'> & { source: DeploymentSource };

/** Starts and stops builds (CodeBuild in AWS, the local runner under `npm start`). */
export interface BuildScheduler {
  /** Starts the build of a QUEUED deployment. The build reports back through `Deployment.transition`. */
  schedule(deployment: SchedulableDeployment): Promise<void>;
  /** Stops the build of a deployment that was just CANCELED; a build that already ended is no error. */
  cancel(deployment: Deployment): Promise<void>;
}

/**
 * The edge's host → routing value map (CloudFront KeyValueStore in AWS). It mirrors the alias
 * records, which stay the source of truth. Values are ≤ 1 KB.
 */
export interface EdgeStore {
  put(host: string, value: string): Promise<void>;
  /** Deleting a host that is not there is no error. */
  delete(host: string): Promise<void>;
  get(host: string): Promise<string | undefined>;
}

/**
 * Content-addressed file storage, scoped per team: a team can only ever see and reference its own
 * blobs, so knowing another team's sha256 gives access to nothing.
 */
export interface BlobStore {
  /** The subset of `shas` the team does not hold, in input order, without duplicates. */
  missing(teamId: string, shas: string[]): Promise<string[]>;
  /** Stores `bytes` under `sha`; the caller has checked `sha === sha256(bytes)`. */
  put(teamId: string, sha: string, bytes: Buffer): Promise<void>;
  /** The blob's bytes, or `undefined` when the team holds no such blob. */
  get(teamId: string, sha: string): Promise<Buffer | undefined>;
}

/**
 * Encrypts environment variable values (KMS in AWS and in the emulator). The context is bound to
 * the ciphertext: decrypting with another context fails, so a value cannot be moved to another
 * project or key.
 */
export interface EnvCipher {
  encrypt(plaintext: string, context: Record<string, string>): Promise<string>;
  decrypt(ciphertext: string, context: Record<string, string>): Promise<string>;
}

export interface Ports {
  buildScheduler: BuildScheduler;
  edgeStore: EdgeStore;
  blobStore: BlobStore;
  envCipher: EnvCipher;
}

/** A port has no implementation in this environment (a wiring bug, answered with a 500). */
export class PortNotConfiguredError extends Error {
  override name = 'PortNotConfiguredError';
  constructor(port: keyof Ports | string) {
    super(`${port} not configured: inject an implementation with usePorts() or wire its default adapter`);
  }
}
