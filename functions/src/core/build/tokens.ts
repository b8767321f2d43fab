import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { context } from '#core/context';
import { Deployment, type DeploymentInfo } from '#core/deployment/index';
import { ConflictError, UnauthorizedError } from '#core/errors';
import type { BuildRecord } from './repository.ts';

/**
 * A build's capability. A build runs untrusted code, so it holds no platform credentials: when a
 * deployment is scheduled it gets a random token (only its hash is stored) that lets it, and only
 * while the deployment is QUEUED or BUILDING, read its job and source and upload its own output
 * through the build API (`/v1/builds/{deploymentId}/…`).
 */

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Mints the capability of a deployment's build, once per deployment: a second call (a redelivered
 * schedule) fails with `ConflictError` `build_exists` instead of minting a second token.
 */
export async function prepare(deployment: Pick<DeploymentInfo, 'id' | 'teamId' | 'projectId'>): Promise<{ token: string }> {
  const token = `rwb_${randomBytes(32).toString('base64url')}`;
  const created = await context().builds.create({
    deploymentId: deployment.id,
    teamId: deployment.teamId,
    projectId: deployment.projectId,
    tokenHash: hashToken(token),
    createdAt: new Date().toISOString(),
  });
  if (!created) throw new ConflictError('build_exists', `Deployment ${deployment.id} already has a build`);
  return { token };
}

/** Records where the build runs and logs, once the scheduler knows. */
export async function attach(deploymentId: string, where: { buildId: string; logStream?: string | undefined }): Promise<void> {
  await context().builds.attach(deploymentId, where);
}

/** The build record of a deployment, if it has one. */
export async function record(deploymentId: string): Promise<BuildRecord | undefined> {
  return context().builds.get(deploymentId);
}

/**
 * The deployment a build token may act for: the token must be this deployment's and the
 * deployment still QUEUED or BUILDING. Anything else is 401 with no hint which part failed.
 */
export async function authorize(deploymentId: string, authorization: string | undefined): Promise<{ deployment: DeploymentInfo; build: BuildRecord }> {
  const token = /^Bearer (rwb_[A-Za-z0-9_-]{20,100})$/.exec(authorization ?? '')?.[1];
  const build = token ? await record(deploymentId) : undefined;
  if (!token || !build || !safeEqual(hashToken(token), build.tokenHash)) throw denied();
  const deployment = await Deployment.get(deploymentId);
  if (Deployment.isFinal(deployment.state)) throw denied();
  return { deployment, build };
}

function denied(): UnauthorizedError {
  return new UnauthorizedError('invalid_build_token', 'The build token is not valid for this deployment');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
