import { AwsClient } from 'aws4fetch';
import type { CloudFrontRequest, CloudFrontRequestHandler } from 'aws-lambda';
import { createOriginRequestHandler } from './origin-request.ts';
import { IndexCache } from './serve.ts';

/**
 * AWS wiring of the origin-request router. Lambda@Edge has no environment variables of ours, so
 * the bucket (and its region) come from the S3 origin in the CloudFront event; the credentials
 * are the function role's, which the Lambda runtime puts in AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN. One signed GET per deployment index (aws4fetch: a
 * few KB of SigV4 instead of the S3 client's few hundred, which would break the bundle limit).
 * The index cache lives as long as the execution environment.
 */

let s3: AwsClient | undefined;
function client(region: string): AwsClient {
  s3 ??= new AwsClient({
    accessKeyId: process.env.AWS_ACCESS_KEY_ID!,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY!,
    ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}),
    service: 's3',
    region,
  });
  return s3;
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
  const url = `https://${bucket}.s3.${region}.amazonaws.com/${key.split('/').map(encodeURIComponent).join('/')}`;
  const res = await client(region).fetch(url);
  // Without s3:ListBucket a missing key is AccessDenied (403), not 404.
  if (res.status === 404 || res.status === 403) return undefined;
  if (!res.ok) throw new Error(`origin-request: S3 answered ${res.status} for ${key}`);
  return res.text();
});
const route = createOriginRequestHandler(indexes);

/** Lambda@Edge origin-request entry point. */
export const handler: CloudFrontRequestHandler = async (event) => {
  const request = event.Records[0]!.cf.request;
  origin ??= s3OriginOf(request);
  return route(request);
};
