import { GetObjectCommand, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { CloudFrontRequest, CloudFrontResponseHandler } from 'aws-lambda';
import { createOriginResponseHandler, type ReadObject } from './origin-response.ts';

/**
 * AWS wiring of the origin-response handler. Lambda@Edge has no environment variables, so the
 * bucket (and its region) come from the S3 origin in the CloudFront event.
 */

// One client per bucket region, kept for the life of the execution environment. Lambda@Edge runs
// in the region nearest the viewer, so the bucket's region must be named explicitly.
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
  if (!match) throw new Error(`origin-response: not an S3 origin: ${domainName ?? '(none)'}`);
  const region = origin?.s3?.region || (match[2] && match[2] !== 'external-1' ? match[2] : 'us-east-1');
  return { bucket: match[1]!, region };
}

async function readObject(request: Pick<CloudFrontRequest, 'origin'>, key: string) {
  const { bucket, region } = s3OriginOf(request);
  try {
    const object = await s3(region).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!object.Body) return null;
    const body = Buffer.from(await object.Body.transformToByteArray());
    return object.ContentType === undefined ? { body } : { body, contentType: object.ContentType };
  } catch (error) {
    // Without s3:ListBucket a missing key is AccessDenied (403), not NoSuchKey.
    if (error instanceof NoSuchKey) return null;
    if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 403) return null;
    throw error;
  }
}

/** Lambda@Edge origin-response entry point. The origin is only resolved when a 404 page is needed. */
export const handler: CloudFrontResponseHandler = async (event) => {
  const request = event.Records[0]!.cf.request;
  const read: ReadObject = (key) => readObject(request, key);
  return createOriginResponseHandler(read)(event);
};
