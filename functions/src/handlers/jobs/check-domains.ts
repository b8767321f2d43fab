import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { nodeDnsFromConfig } from '#adapters/dns/node';
import { cloudFrontSaasFromConfig } from '#adapters/domain-attachments/cloudfront-saas';
import { CloudFrontKvsEdgeStore } from '#adapters/edge-store/cloudfront-kvs';
import { Domain } from '#core/domain/index';
import { wire } from '#lib/context';
import { logger } from '#lib/powertools';

/** Time kept back from the function's timeout to log the report. */
const MARGIN_MS = 20_000;

/**
 * The scheduled check of custom domains (an EventBridge schedule in AWS, a timer under `npm
 * start`): verifies pending domains whose records appeared, follows certificates, and detaches a
 * domain whose ownership proof and routing record are both gone (`Domain.checkAll`).
 */
export async function checkDomains(deadline = Number.POSITIVE_INFINITY): Promise<{ checked: number; detached: number }> {
  const report = await Domain.checkAll(deadline);
  if (report.detached > 0) logger.info('Domain check detached domains', report);
  else logger.debug('Domain check done', report);
  return report;
}

wire({ ...dynamoDbRepositories, edgeStore: () => new CloudFrontKvsEdgeStore(), dns: nodeDnsFromConfig, domainAttachments: cloudFrontSaasFromConfig });

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (_event: unknown, context: Context) => checkDomains(Date.now() + context.getRemainingTimeInMillis() - MARGIN_MS));
