import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { CodeBuildScheduler } from '#adapters/build-scheduler/codebuild';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { CloudFrontKvsEdgeStore } from '#adapters/edge-store/cloudfront-kvs';
import { OctokitGitHub } from '#adapters/github/octokit';
import { GitHubEvents, GitHubJob } from '#core/github/index';
import { wire } from '#lib/context';
import { idempotent } from '#lib/idempotency';
import { logger } from '#lib/powertools';

/**
 * The GitHub worker: one SQS FIFO record per webhook delivery, handled in group order. A record
 * that fails stops its group (the FIFO processor fails the rest of the batch) and comes back;
 * after the queue's receive limit it lands in the dead-letter queue. Each delivery's effect runs
 * once, whatever SQS redelivers (Powertools Idempotency on the delivery id).
 */
const handleOnce = idempotent(
  async (job: GitHubJob & Record<string, unknown>) => {
    const outcome = await GitHubEvents.handle(job);
    logger.info('GitHub delivery handled', { kind: job.kind, ...outcome });
    return outcome;
  },
  { keyPrefix: 'github-worker', keyPath: 'deliveryId', expiresAfterSeconds: 24 * 3600 },
);

const processor = new SqsFifoPartialProcessorAsync();

export async function onMessages(event: SQSEvent, context: Context) {
  const onRecord = async (record: SQSRecord): Promise<void> => {
    const job = GitHubJob.parse(JSON.parse(record.body));
    logger.appendKeys({ deliveryId: job.deliveryId });
    await handleOnce(job as GitHubJob & Record<string, unknown>, context);
  };
  // A failure holds back only its own group (one repository branch), not the rest of the batch.
  return processPartialResponse(event, onRecord, processor, { skipGroupOnError: true });
}

// In AWS: builds in CodeBuild, hosts in the KeyValueStore (a deleted branch's alias), GitHub via octokit.
wire({
  ...dynamoDbRepositories,
  buildScheduler: () => new CodeBuildScheduler(),
  edgeStore: () => new CloudFrontKvsEdgeStore(),
  github: () => new OctokitGitHub(),
});

export const handler = middy<SQSEvent>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(onMessages);
