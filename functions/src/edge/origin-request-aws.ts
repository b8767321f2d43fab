import { GetObjectCommand, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { CloudFrontRequest, CloudFrontRequestHandler } from 'aws-lambda';
import { createOriginRequestHandler } from './origin-request.ts';
import { IndexCache } from './serve.ts';

/**
 * AWS wiring of the origin-request router. Lambda@Edge has no environment variables, so the
 * bucket (and its region) come from the S3 origin in the CloudFront event. The index cache lives
 * as long as the execution environment: a deployment's index is read once per environment.
 */

const clients = new Map<string, S3Client>();
function s3(region: string): S3Client {
  let client = clients.get(region);
  if (!client) {
    client = new S3Client({ region, followRegionRedirects: true });
    clients.set(region, client);
  }
  return client;
}

/** The bucket and region of the event's S3 origin, e.g. `runway-artifacts.s3.eu-west-1.amazonaws.com`. */
export function s3OriginOf(request: Pick<CloudFrontRequest, 'origin'>): { bucket: string; region: string } {
  const origin = request.origin;
  const domainName = origin?.s3?.domainName ?? origin?.custom?.domainName;
  const match = domainName ? /^(.+?)\.s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com$/.exec(domainName) : null;
  if (!match) throw new Error(`origin-request: not an S3 origin: ${domainName ?? '(none)'}`);
  const region = origin?.s3?.region || (match[2] && match[2] !== 'external-1' ? match[2] : 'us-east-1');
  return { bucket: match[1]!, region };
}

let origin: { bucket: string; region: string } | undefined;
const indexes = new IndexCache(async (key) => {
  const { bucket, region } = origin!;
  try {
    const object = await s3(region).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await object.Body!.transformToString('utf8');
  } catch (error) {
    // Without s3:ListBucket a missing key is AccessDenied (403), not NoSuchKey.
    if (error instanceof NoSuchKey) return undefined;
    if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 403) return undefined;
    throw error;
  }
});
const route = createOriginRequestHandler(indexes);

/** Lambda@Edge origin-request entry point. */
export const handler: CloudFrontRequestHandler = async (event) => {
  const request = event.Records[0]!.cf.request;
  origin ??= s3OriginOf(request);
  return route(request);
};
