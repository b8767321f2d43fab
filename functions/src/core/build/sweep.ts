import { context } from '#core/context';
import { Deployment, type DeploymentInfo } from '#core/deployment/index';
import { ConflictError } from '#core/errors';
import { record } from './tokens.ts';

/**
 * The sweep of deployments whose build state was lost: a build that crashed without an end
 * event, an end event that was never delivered, a local runner that restarted. Such a deployment
 * would stay QUEUED or BUILDING forever; past the longest time its build can take it goes to
 * ERROR, its build is stopped, and the caller reports it (GitHub's commit status follows).
 * Scheduled by an EventBridge rule in AWS and a timer under `npm start`. Reads only deployments in
 * flight (a sparse index), so a run costs the same however long the history is; every effect is a
 * conditional transition, so a repeated or concurrent run does nothing twice.
 */

/** The limits a build runs under, from which "stuck" is derived. */
export interface BuildLimits {
  /**
   * Longest a build runs before its runner stops it: 15 minutes on CodeBuild's Lambda compute,
   * a fixed limit (https://docs.aws.amazon.com/codebuild/latest/userguide/lambda.html, "Limitations
   * of AWS Lambda compute"), the project's timeout on EC2 compute, the local runner's `timeoutMs`.
   */
  buildMs: number;
  /** Longest a build may wait to start: CodeBuild's queued timeout, or the local runner's queue. */
  queuedMs: number;
}

/**
 * Time a build's end needs, after its runner stopped it, to become the deployment's state: the
 * build-state function's own timeout (5 minutes, finalize copies files) and EventBridge's first
 * retries. Past it, no end is coming.
 */
export const END_GRACE_MS = 10 * 60_000;

/** What the sweep did with one stuck deployment. */
export interface Swept {
  deployment: DeploymentInfo;
  /** The state it was stuck in. */
  was: 'QUEUED' | 'BUILDING';
}

/**
 * Moves every deployment stuck QUEUED for longer than `queuedMs + END_GRACE_MS`, or BUILDING for
 * longer than `buildMs + END_GRACE_MS`, to ERROR at step `timeout`, then stops its build.
 * @param now ms since the epoch (tests pass a clock)
 * @returns the deployments it ended, to report them
 */
export async function sweepStuck(limits: BuildLimits, now = Date.now()): Promise<Swept[]> {
  const swept: Swept[] = [];
  for (const state of ['QUEUED', 'BUILDING'] as const) {
    const allowed = (state === 'QUEUED' ? limits.queuedMs : limits.buildMs) + END_GRACE_MS;
    for (const deployment of await context().deployments.inFlight(state)) {
      const since = Date.parse(state === 'BUILDING' ? (deployment.buildingAt ?? deployment.createdAt) : deployment.createdAt);
      if (now - since <= allowed) continue;
      const ended = await end(deployment.id, state, Math.round(allowed / 60_000));
      if (ended) swept.push({ deployment: ended, was: state });
    }
  }
  return swept;
}

async function end(deploymentId: string, state: 'QUEUED' | 'BUILDING', minutes: number): Promise<DeploymentInfo | undefined> {
  const { logger, buildScheduler } = context();
  let ended: DeploymentInfo;
  try {
    ended = await Deployment.transition(deploymentId, {
      from: [state],
      to: 'ERROR',
      set: {
        errorStep: 'timeout',
        errorMessage:
          state === 'QUEUED'
            ? `The build did not start within ${minutes} minutes; the platform stopped waiting for it`
            : `The build sent no result within ${minutes} minutes of starting (its state was lost); the platform stopped it`,
      },
    });
  } catch (error) {
    // It moved on meanwhile (its end arrived, or another sweep ended it): nothing to do.
    if (error instanceof ConflictError) return undefined;
    throw error;
  }
  logger.warn('Stuck deployment ended', { deploymentId, was: state });
  try {
    const build = await record(deploymentId);
    if (build?.buildId) await buildScheduler.stop({ deploymentId, buildId: build.buildId });
  } catch (error) {
    // ERROR is recorded either way: a build that keeps running can never go live.
    logger.warn('Stopping the build of a stuck deployment failed', { deploymentId, error: (error as Error).message });
  }
  return ended;
}
