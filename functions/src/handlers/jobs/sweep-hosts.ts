import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { CloudFrontKvsEdgeStore } from '#adapters/edge-store/cloudfront-kvs';
import { sweepHosts, type SweepReport } from '#core/alias/sweep';
import { wire } from '#lib/context';
import { logger } from '#lib/powertools';

/** Time kept back from the function's timeout to log the report. */
const MARGIN_MS = 30_000;

/**
 * The sweep of hosts and edge keys nobody owns (an EventBridge schedule in AWS, a timer under
 * `npm start`): finishes deleted projects' cleanup and removes orphaned edge keys
 * (`core/alias/sweep.ts`). Runs until shortly before `deadline`; the next run resumes.
 */
export async function sweepOrphans(deadline = Number.POSITIVE_INFINITY): Promise<SweepReport> {
  const report = await sweepHosts(deadline);
  logger.info('Host sweep done', { purged: report.purged.length, scanned: report.scanned, removed: report.removed.length, adopted: report.adopted.length });
  return report;
}

// In AWS: the edge store is the distribution's CloudFront KeyValueStore.
wire({ ...dynamoDbRepositories, edgeStore: () => new CloudFrontKvsEdgeStore() });

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (_event: unknown, context: Context) => {
    const report = await sweepOrphans(Date.now() + context.getRemainingTimeInMillis() - MARGIN_MS);
    return { purged: report.purged.length, scanned: report.scanned, removed: report.removed.length, adopted: report.adopted.length };
  });
