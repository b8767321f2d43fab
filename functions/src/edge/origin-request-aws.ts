import { AwsClient } from 'aws4fetch';
import type { CloudFrontRequest, CloudFrontRequestHandler, CloudFrontResultResponse } from 'aws-lambda';
import { functionUrlsKey } from '../core/artifact-keys.ts';
import { type FunctionAnswer, toFunctionOrigin } from './function-origin.ts';
import { createOriginRequestHandler, generated } from './origin-request.ts';
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
/** The text of an artifact-bucket object, `undefined` when it does not exist. */
async function readArtifact(key: string): Promise<string | undefined> {
  const { bucket, region } = origin!;
  const url = `https://${bucket}.s3.${region}.amazonaws.com/${key.split('/').map(encodeURIComponent).join('/')}`;
  const res = await client(region).fetch(url);
  // Without s3:ListBucket a missing key is AccessDenied (403), not 404.
  if (res.status === 404 || res.status === 403) return undefined;
  if (!res.ok) throw new Error(`origin-request: S3 answered ${res.status} for ${key}`);
  return res.text();
}
const indexes = new IndexCache(readArtifact);

/**
 * Each deployment's function name → Function URL host (`functions/<id>.json`, written by the
 * Lambda deployer before the deployment is READY; immutable like the index), kept per execution
 * environment for up to 200 deployments.
 */
const functionUrls = new Map<string, Promise<Record<string, string> | undefined>>();
function functionUrlsOf(deploymentId: string): Promise<Record<string, string> | undefined> {
  let pending = functionUrls.get(deploymentId);
  if (!pending) {
    pending = readArtifact(functionUrlsKey(deploymentId)).then((text) => {
      // Not kept when missing or failed: the next request reads again.
      if (text === undefined) functionUrls.delete(deploymentId);
      return text === undefined ? undefined : (JSON.parse(text) as Record<string, string>);
    });
    pending.catch(() => functionUrls.delete(deploymentId));
    functionUrls.set(deploymentId, pending);
    if (functionUrls.size > 200) functionUrls.delete(functionUrls.keys().next().value as string);
  }
  return pending;
}

/** A function's answer: the request goes on to its Function URL, signed with this function's role. */
async function toFunction(request: CloudFrontRequest, answer: FunctionAnswer, deploymentId: string) {
  const host = (await functionUrlsOf(deploymentId))?.[answer.name];
  if (!host) {
    console.error('origin-request: no Function URL for a function of a READY deployment', { deploymentId, function: answer.name });
    return generated(502, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, 'Bad Gateway: this function is not available.\n');
  }
  return toFunctionOrigin(
    request,
    answer,
    host,
    {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID!,
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY!,
      ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}),
    },
    new Date(),
    cloudFrontRequestId,
  );
}

/**
 * The CloudFront request id of the event being handled (`cf.config.requestId`, the `x-amz-cf-id`
 * edge functions cannot read as a header), for the function's `x-vercel-id`. One event at a time
 * per execution environment, so a module variable is the event's.
 */
let cloudFrontRequestId: string | undefined;

const route = createOriginRequestHandler(indexes, { onFunction: toFunction });

/** Lambda@Edge origin-request entry point. */
export const handler: CloudFrontRequestHandler = async (event) => {
  const { request, config } = event.Records[0]!.cf;
  origin ??= s3OriginOf(request);
  cloudFrontRequestId = config.requestId;
  return filesGetOrHeadOnly(request.method, await route(request));
};

/**
 * A file from S3 answers GET and HEAD only: the distribution allows every method for functions,
 * and S3 must never see another (its OAC grant is read-only anyway). Anything else sent on to S3
 * becomes a 405; functions' requests (custom origin) and generated answers pass.
 */
export function filesGetOrHeadOnly(method: string, result: CloudFrontRequest | CloudFrontResultResponse): CloudFrontRequest | CloudFrontResultResponse {
  if ('uri' in result && !result.origin?.custom && method !== 'GET' && method !== 'HEAD') {
    return generated(405, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', allow: 'GET, HEAD' }, 'Method Not Allowed\n');
  }
  return result;
}
