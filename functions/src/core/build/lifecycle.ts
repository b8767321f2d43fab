import { context } from '#core/context';
import type { CreateInput } from '#core/deployment/deployment';
import { Deployment, type DeploymentInfo } from '#core/deployment/index';
import type { DeploymentFile } from '#core/deployment/files';
import { ConflictError, ValidationError } from '#core/errors';
import { Files } from '#core/files/index';
import type { DeploymentTarget } from '#core/schemas';
import { attach, prepare, record } from './tokens.ts';

/**
 * The one build lifecycle of a deployment, from the control plane's side (this module and
 * finish.ts, which the functions that never see a build's end do not bundle):
 *
 * 1. {@link schedule}: mint the build's capability → `BuildScheduler.start` → record where it runs;
 * 2. {@link begin}: QUEUED → BUILDING when the build starts (its first event, or its job fetch);
 * 3. {@link finish}: a build's end (CodeBuild's or the local runner's status) → the deployment's state;
 * 4. {@link finalize}: a successful build → READY, its hosts published, aliases moved forward;
 * 5. {@link cancel}: CANCELED first, then `BuildScheduler.stop`.
 *
 * Adapters only start and stop builds; every decision is here.
 */

/**
 * Creates the deployment and schedules its build. When scheduling fails the deployment goes to
 * ERROR (step `schedule`) before the error propagates, so nothing stays QUEUED forever.
 */
export async function submit(input: CreateInput): Promise<DeploymentInfo> {
  const deployment = await Deployment.create(input);
  await schedule(deployment);
  return deployment;
}

/**
 * A deployment of uploaded files (`POST /v1/deployments` with `files`): every file's blob must be
 * uploaded first (`POST /v1/files`), as on Vercel.
 * @throws ValidationError `missing_files`, with `missing`: the shas to upload before trying again
 */
export async function submitFiles(input: Omit<CreateInput, 'source'> & { files: DeploymentFile[] }): Promise<DeploymentInfo> {
  const { files, ...rest } = input;
  const missing = await Files.missing(input.teamId, files);
  if (missing.length > 0) {
    throw new ValidationError('missing_files', `${missing.length} file(s) are not uploaded yet: POST them to /v1/files, then retry`, { missing });
  }
  return submit({ ...rest, source: { type: 'files', files } });
}

/**
 * Schedules the build of a QUEUED deployment: mints its capability token, starts it, records
 * where it runs. When any of it fails the deployment goes to ERROR (step `schedule`) before the
 * error propagates.
 */
export async function schedule(deployment: DeploymentInfo): Promise<void> {
  try {
    const { token } = await prepare(deployment);
    const started = await context().buildScheduler.start({ deploymentId: deployment.id, token });
    await attach(deployment.id, started);
  } catch (error) {
    await Deployment.transition(deployment.id, {
      from: ['QUEUED'],
      to: 'ERROR',
      set: { errorStep: 'schedule', errorMessage: 'The build could not be scheduled' },
    }).catch((cause) => context().logger.error('Could not mark an unschedulable deployment as ERROR', { deploymentId: deployment.id, cause }));
    throw error;
  }
}

/**
 * A new deployment of the same source and project as `original` (no new upload). `beforeStart`
 * records what must exist before its build can run (a git deployment's GitHub link).
 */
export async function redeploy(
  original: DeploymentInfo,
  project: { id: string; name: string },
  options: { target?: DeploymentTarget | undefined; beforeStart?: (deployment: DeploymentInfo) => Promise<void> } = {},
): Promise<DeploymentInfo> {
  const deployment = await Deployment.create({
    teamId: original.teamId,
    project,
    target: options.target ?? original.target,
    source: await Deployment.sourceOf(original),
    branch: original.branch,
    commitSha: original.commitSha,
    commitMessage: original.commitMessage,
    meta: original.meta,
    redeployOf: original.id,
  });
  await options.beforeStart?.(deployment);
  await schedule(deployment);
  return deployment;
}

/**
 * Marks a deployment BUILDING when its build starts. Safe to repeat and to race: a deployment
 * that moved on meanwhile is returned as it is.
 * @throws NotFoundError `deployment_not_found`
 */
export async function begin(deploymentId: string): Promise<DeploymentInfo> {
  const deployment = await Deployment.get(deploymentId);
  if (deployment.state !== 'QUEUED') return deployment;
  return Deployment.transition(deploymentId, { from: ['QUEUED'], to: 'BUILDING' }).catch(async (error) => {
    if (error instanceof ConflictError) return Deployment.get(deploymentId);
    throw error;
  });
}

/**
 * Cancels a QUEUED or BUILDING deployment: the state changes first (so a build that finishes
 * meanwhile loses its READY write), then the scheduler stops the build. Canceling a CANCELED one
 * is a no-op.
 * @throws ConflictError `deployment_not_cancelable` when it is READY or ERROR
 */
export async function cancel(id: string, scope: { teamId: string }): Promise<DeploymentInfo> {
  const current = await Deployment.get(id, scope);
  if (current.state === 'CANCELED') return current;
  let canceled: DeploymentInfo;
  try {
    canceled = await Deployment.transition(id, { from: ['QUEUED', 'BUILDING'], to: 'CANCELED' });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const state = (error.details.state as DeploymentInfo['state'] | undefined) ?? current.state;
    if (state === 'CANCELED') return Deployment.get(id);
    throw new ConflictError('deployment_not_cancelable', `Deployment ${id} is ${state} and can no longer be canceled`, { state });
  }
  try {
    const build = await record(id);
    if (build?.buildId) await context().buildScheduler.stop({ deploymentId: id, buildId: build.buildId });
  } catch (error) {
    // The record is CANCELED either way, so a build that keeps running can never go live.
    context().logger.warn('Stopping the build of a canceled deployment failed', { deploymentId: id, error: (error as Error).message });
  }
  return canceled;
}

/** Marks a deployment ERROR with the failed step and a message (its last log lines). */
export async function fail(deploymentId: string, step: string, message: string): Promise<DeploymentInfo> {
  try {
    return await Deployment.transition(deploymentId, { from: ['QUEUED', 'BUILDING'], to: 'ERROR', set: { errorStep: step, errorMessage: message } });
  } catch (error) {
    if (error instanceof ConflictError) return Deployment.get(deploymentId);
    throw error;
  }
}
