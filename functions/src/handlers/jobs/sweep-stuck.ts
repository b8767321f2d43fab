import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CodeBuildScheduler } from '#adapters/build-scheduler/codebuild';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { OctokitGitHub } from '#adapters/github/octokit';
import { sweepStuck } from '#core/build/sweep';
import { reportEnd } from '#core/github/report';
import { config } from '#lib/config';
import { wire } from '#lib/context';
import { logger } from '#lib/powertools';

/**
 * The stuck-deployment sweep (an EventBridge schedule in AWS, a timer under `npm start`): every
 * deployment QUEUED or BUILDING past its build limits ends ERROR, its build is stopped, and a git
 * deployment's GitHub status follows, through the same report as a build's end. Reports go one
 * by one: one GitHub refuses or fails does not hold back the others, and is logged as an error
 * (the deployment is ERROR either way; GitHub keeps the pending status until the next report).
 * @param now ms since the epoch (local tests move the clock)
 * @returns the ids of the deployments it ended
 */
export async function sweepStuckDeployments(now = Date.now()): Promise<string[]> {
  const { RUNWAY_BUILD_LIMIT_MINUTES, RUNWAY_BUILD_QUEUE_LIMIT_MINUTES } = config();
  const swept = await sweepStuck({ buildMs: RUNWAY_BUILD_LIMIT_MINUTES * 60_000, queuedMs: RUNWAY_BUILD_QUEUE_LIMIT_MINUTES * 60_000 }, now);
  for (const { deployment } of swept) {
    await reportEnd(deployment).catch((error) => logger.error('Reporting a stuck deployment to GitHub failed', { deploymentId: deployment.id, error }));
  }
  if (swept.length > 0) logger.info('Stuck deployments ended', { count: swept.length, deployments: swept.map((s) => s.deployment.id) });
  return swept.map((s) => s.deployment.id);
}

// In AWS: the builds are CodeBuild's (StopBuild), reports go to GitHub as the App.
wire({ ...dynamoDbRepositories, buildScheduler: () => new CodeBuildScheduler(), github: () => new OctokitGitHub() });

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => ({ ended: await sweepStuckDeployments() }));
