import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { S3ArtifactStore } from '#adapters/artifacts/s3';
import { S3BlobStore } from '#adapters/blob-store/s3';
import { CloudWatchBuildLogs } from '#adapters/build-logs/cloudwatch';
import { BuildStateEvent, buildEndOf } from '#adapters/build-scheduler/codebuild-event';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { CloudFrontKvsEdgeStore } from '#adapters/edge-store/cloudfront-kvs';
import { KmsEnvCipher } from '#adapters/env-cipher/kms';
import { configuredLambdaFunctionDeployer } from '#adapters/functions/lambda';
import { OctokitGitHub } from '#adapters/github/octokit';
import { Build } from '#core/build/index';
import { reportEnd } from '#core/github/report';
import { wire } from '#lib/context';
import { logger } from '#lib/powertools';

export { BuildStateEvent };

/**
 * EventBridge "CodeBuild Build State Change" → the build lifecycle (`Build.finish`), then the
 * outcome back to GitHub for a git deployment. In AWS the rule of the builds stack delivers it;
 * locally the build runner emits the same event into this handler. A failure throws, so
 * EventBridge redelivers the event: applying it again is a no-op, and the report is retried.
 */
export async function onBuildState(event: BuildStateEvent): Promise<void> {
  const end = buildEndOf(event);
  if (!end) {
    logger.warn('Build event without a deployment id', { buildId: event.detail['build-id'] });
    return;
  }
  logger.appendKeys({ deploymentId: end.deploymentId, buildStatus: event.detail['build-status'] });
  const deployment = await Build.finish(end);
  if (deployment) await reportEnd(deployment);
}

// A READY deployment's files are copied in S3 and its hosts published to the distribution's
// CloudFront KeyValueStore; a failed build's log tail is read from CloudWatch Logs; git
// deployments report their outcome to GitHub as the App. Finalize checks the blobs are stored and
// creates the deployment's functions as Lambda functions, with the target's env vars decrypted (KMS).
wire({
  ...dynamoDbRepositories,
  artifacts: () => new S3ArtifactStore(),
  blobStore: () => new S3BlobStore(),
  envCipher: () => new KmsEnvCipher(),
  functionDeployer: () => configuredLambdaFunctionDeployer(),
  buildLogs: () => new CloudWatchBuildLogs(),
  edgeStore: () => new CloudFrontKvsEdgeStore(),
  github: () => new OctokitGitHub(),
});

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(parser({ schema: BuildStateEvent }))
  .handler(onBuildState);
