import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import * as z from 'zod';
import { S3ArtifactStore } from '#adapters/artifacts/s3';
import { CloudWatchBuildLogs } from '#adapters/build-logs/cloudwatch';
import { Build } from '#core/build/index';
import { Deployment } from '#core/deployment/index';
import { ConflictError, GitHubRejectedError, NotFoundError } from '#core/errors';
import { logger } from '#lib/powertools';
import { CloudFrontKvsEdgeStore } from '#adapters/edge-store/cloudfront-kvs';
import { provideDefaultPorts } from '#lib/ports';
import { OctokitGitHub } from '#adapters/github/octokit';
import { report as reportToGitHub } from '#core/github/report';

/**
 * EventBridge "CodeBuild Build State Change" → the deployment's state. In AWS the rule of the
 * builds stack delivers it; locally the build runner emits the same event into this handler.
 * Deliveries may repeat or arrive out of order: every effect is a conditional state transition,
 * so a repeat finds the deployment already moved and does nothing.
 */
export const BuildStateEvent = EventBridgeSchema.extend({
  source: z.literal('aws.codebuild'),
  'detail-type': z.literal('CodeBuild Build State Change'),
  detail: z.object({
    'build-status': z.enum(['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'FAULT', 'STOPPED', 'TIMED_OUT']),
    'build-id': z.string().min(1),
    'project-name': z.string().min(1),
    'additional-information': z.object({
      environment: z.object({
        'environment-variables': z.array(z.object({ name: z.string(), value: z.string().optional() })),
      }),
      logs: z.object({ 'stream-name': z.string().optional() }).optional(),
    }),
  }),
});
export type BuildStateEvent = z.infer<typeof BuildStateEvent>;

const artifacts = new S3ArtifactStore();
const logs = new CloudWatchBuildLogs();

export async function onBuildState(event: BuildStateEvent): Promise<void> {
  const detail = event.detail;
  // Only the deployment id is read from the build's environment; its token is never logged.
  const deploymentId = detail['additional-information'].environment['environment-variables'].find((v) => v.name === 'RUNWAY_DEPLOYMENT_ID')?.value;
  if (!deploymentId) {
    logger.warn('Build event without a deployment id', { buildId: detail['build-id'] });
    return;
  }
  logger.appendKeys({ deploymentId, buildStatus: detail['build-status'] });
  try {
    await apply(deploymentId, detail);
  } catch (error) {
    if (error instanceof NotFoundError) {
      logger.warn('Build event for an unknown deployment');
      return;
    }
    if (!(error instanceof ConflictError)) throw error;
    logger.info('Build event already applied', { code: error.code });
  }
  // A git deployment's outcome goes back to GitHub. A failure throws, so EventBridge redelivers
  // the event: applying it again is a no-op, and the report is retried.
  if (detail['build-status'] === 'IN_PROGRESS') return;
  try {
    await reportToGitHub(await Deployment.get(deploymentId));
  } catch (error) {
    // Uninstalled App, repository gone, no permission: retrying changes nothing.
    if (!(error instanceof GitHubRejectedError)) throw error;
    logger.warn('GitHub refused the report', { status: error.details.status });
  }
}

async function apply(deploymentId: string, detail: BuildStateEvent['detail']): Promise<void> {
  const stream = detail['additional-information'].logs?.['stream-name'] ?? (await Build.record(deploymentId))?.logStream;
  switch (detail['build-status']) {
    case 'IN_PROGRESS': {
      const deployment = await Deployment.get(deploymentId);
      if (deployment.state === 'QUEUED') await Deployment.transition(deploymentId, { from: ['QUEUED'], to: 'BUILDING' });
      return;
    }
    case 'SUCCEEDED': {
      const deployment = await Build.finalize(deploymentId, { artifacts });
      logger.info('Build finished', { state: deployment.state });
      return;
    }
    case 'STOPPED':
      await Deployment.transition(deploymentId, { from: ['QUEUED', 'BUILDING'], to: 'CANCELED' });
      return;
    case 'TIMED_OUT':
      await Build.fail(deploymentId, 'timeout', 'The build ran longer than its time limit and was stopped');
      return;
    case 'FAILED':
    case 'FAULT':
      await Build.failFromLogs(deploymentId, logs, stream);
      return;
  }
}

// A READY deployment's hosts are published to the distribution's CloudFront KeyValueStore.
// Git deployments report their outcome to GitHub as the App.
provideDefaultPorts({ edgeStore: new CloudFrontKvsEdgeStore(), github: new OctokitGitHub() });

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(parser({ schema: BuildStateEvent }))
  .handler(onBuildState);
