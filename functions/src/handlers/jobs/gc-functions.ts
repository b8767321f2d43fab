import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { configuredLambdaFunctionDeployer } from '#adapters/functions/lambda';
import { collectFunctions } from '#core/functions/gc';
import { wire } from '#lib/context';
import { config } from '#lib/config';
import { logger } from '#lib/powertools';

/** Time kept back from the function's timeout to log the report. */
const MARGIN_MS = 30_000;

/**
 * Garbage collection of users' functions (an EventBridge schedule, daily: `core/functions/gc.ts`
 * says what is kept). Deletes the Lambda functions of deployments no host serves or rolls back to
 * and older than `RUNWAY_FUNCTION_RETENTION_DAYS`; stops shortly before its timeout, and the next
 * run continues.
 */
wire({ ...dynamoDbRepositories });

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (_event: unknown, context: Context) => {
    const report = await collectFunctions(configuredLambdaFunctionDeployer(), {
      retentionDays: config().RUNWAY_FUNCTION_RETENTION_DAYS,
      deadline: Date.now() + context.getRemainingTimeInMillis() - MARGIN_MS,
    });
    const summary = { scanned: report.scanned, removed: report.removed.length, referenced: report.referenced.length, recent: report.recent.length, stoppedEarly: report.stoppedEarly };
    logger.info('Function GC done', summary);
    return summary;
  });
