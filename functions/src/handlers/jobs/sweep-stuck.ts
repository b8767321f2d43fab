import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { S3ArtifactStore } from '#adapters/artifacts/s3';
import { CodeBuildScheduler } from '#adapters/build-scheduler/codebuild';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { CloudFrontKvsEdgeStore } from '#adapters/edge-store/cloudfront-kvs';
import { OctokitGitHub } from '#adapters/github/octokit';
import { backfillIndexes, type BackfillReport } from '#core/build/backfill';
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

/**
 * The index backfill, on the same schedule (core/build/backfill.ts): deployments finalized before
 * the edge routed by `routes/<id>.json` get their index, so the edge serves them again. Logs the
 * counts of every run.
 * @param deadline ms since the epoch after which it stops; the next run goes on
 */
export async function backfillDeploymentIndexes(deadline = Number.POSITIVE_INFINITY): Promise<BackfillReport> {
  const report = await backfillIndexes(deadline);
  logger.info('Deployment index backfill done', {
    scanned: report.scanned,
    deployments: report.deployments,
    present: report.present,
    written: report.written.length,
    defaulted: report.defaulted.length,
    skipped: report.skipped.length,
    complete: report.complete,
  });
  return report;
}

/** Time kept back from the function's timeout to log the report. */
const MARGIN_MS = 20_000;

// In AWS: the builds are CodeBuild's (StopBuild), reports go to GitHub as the App; the backfill
// lists the distribution's KeyValueStore and reads/writes the artifact bucket.
wire({
  ...dynamoDbRepositories,
  buildScheduler: () => new CodeBuildScheduler(),
  github: () => new OctokitGitHub(),
  artifacts: () => new S3ArtifactStore(),
  edgeStore: () => new CloudFrontKvsEdgeStore(),
});

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (_event: unknown, context: Context) => {
    const ended = await sweepStuckDeployments();
    const backfill = await backfillDeploymentIndexes(Date.now() + context.getRemainingTimeInMillis() - MARGIN_MS);
    return { ended, backfilled: backfill.written.length, complete: backfill.complete };
  });
