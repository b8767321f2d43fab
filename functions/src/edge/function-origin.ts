import { createHash } from 'node:crypto';
import { AwsV4Signer } from 'aws4fetch';
import type { CloudFrontHeaders, CloudFrontRequest, CloudFrontResponse, CloudFrontResultResponse } from 'aws-lambda';
import type { EdgeAnswer } from './serve.ts';

/**
 * The AWS edge's origin switch for functions: origin-request turns a request the router sent to a
 * function into a SigV4-signed request to that function's Lambda Function URL, and origin-response
 * gives the function's answer the route's status and headers without touching its own.
 *
 * Why the edge signs, not CloudFront OAC: OAC for Lambda URL origins needs the *viewer* to send
 * `x-amz-content-sha256` with the SHA-256 of every POST/PUT body, as "Lambda doesn't support
 * unsigned payloads" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-lambda.html);
 * browsers send no such header, so every form POST would fail. origin-request sees the body
 * (the trigger's `includeBody`), hashes it and signs the request with its own role's credentials
 * (`lambda:InvokeFunctionUrl` + `lambda:InvokeFunction` on `runway-fn-*` only: since October 2025
 * new Function URLs need both, https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html). The
 * URLs are `AuthType: AWS_IAM`, so nobody without such a grant can call them.
 *
 * Limits this brings:
 * - Request bodies: Lambda@Edge exposes at most 1 MB of an origin-request body (base64) and marks a
 *   longer one `inputTruncated` ("Restrictions on the request body with the include body option",
 *   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-at-edge-function-restrictions.html#lambda-at-edge-restrictions-request-body);
 *   a truncated body cannot be hashed, so such a request is answered 413 here, before the function.
 *   (Lambda itself would take 6 MB.)
 * - The viewer's `Authorization` header is replaced by the signature; it travels to the function
 *   in {@link VIEWER_AUTHORIZATION_HEADER}, which the launcher layer puts back.
 * - The query is sent in SigV4's canonical form (parameters sorted, RFC 3986 encoded), so the
 *   function sees the same parameters and values, possibly in another order.
 */

/** What the router answered for a function (the contract's `{kind:'function'}` EdgeAnswer). */
export type FunctionAnswer = Extract<EdgeAnswer, { kind: 'function' }>;

/** Request header carrying the route's status and headers for a function answer to origin-response. */
export const FUNCTION_ANSWER_HEADER = 'x-runway-function-answer';
/** Request header carrying the viewer's own `Authorization` to the function (the signature takes its place). */
export const VIEWER_AUTHORIZATION_HEADER = 'x-runway-viewer-authorization';
/** Most body bytes Lambda@Edge shows an origin-request trigger (see the module docstring). */
export const EDGE_BODY_LIMIT_BYTES = 1024 * 1024;
/**
 * CloudFront's origin response timeout for a custom origin is 1–60 s by default (more by quota
 * request): https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginResponseTimeout.
 * It is the wait for the first byte and between bytes, so a streaming function may run longer.
 */
export const ORIGIN_READ_TIMEOUT_MAX_SECONDS = 60;

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The Region of a Function URL host `<url-id>.lambda-url.<region>.on.aws`, or undefined for anything else. */
export function regionOfFunctionUrlHost(host: string): string | undefined {
  return /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(host)?.[1];
}

/**
 * Points `request` at the function's Function URL and signs it (SigV4, service `lambda`).
 * @param host the Function URL's host (from the deployment's `functions/<id>.json`)
 * @param now the signing time (tests pass a fixed one)
 * @returns the request to send on, or a generated 413 when the body was truncated, or a 502 when
 *   the host is not a Function URL
 */
export async function toFunctionOrigin(
  request: CloudFrontRequest,
  answer: FunctionAnswer,
  host: string,
  credentials: SigningCredentials,
  now: Date = new Date(),
): Promise<CloudFrontRequest | CloudFrontResultResponse> {
  const region = regionOfFunctionUrlHost(host);
  if (!region) return text(502, `Bad Gateway: function ${answer.name} has no Function URL.\n`);
  if (request.body?.inputTruncated) {
    return text(413, `Payload Too Large: a request body sent to a function may be at most ${EDGE_BODY_LIMIT_BYTES / 1024 / 1024} MB on this platform.\n`);
  }
  const body = request.body?.data ? Buffer.from(request.body.data, request.body.encoding === 'base64' ? 'base64' : 'utf8') : Buffer.alloc(0);
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const url = new URL(`https://${host}`);
  url.pathname = answer.path.replace(/\/+/g, '/');
  url.search = answer.query;
  const signer = new AwsV4Signer({
    method: request.method,
    url: url.toString(),
    headers: { 'x-amz-content-sha256': bodyHash },
    body,
    ...credentials,
    service: 'lambda',
    region,
    datetime: now.toISOString().replace(/[:-]|\.\d{3}/g, ''),
  });
  const signed = await signer.sign();

  const headers: CloudFrontHeaders = { ...request.headers };
  const viewerAuthorization = headers.authorization;
  delete headers.authorization;
  if (viewerAuthorization) headers[VIEWER_AUTHORIZATION_HEADER] = viewerAuthorization.map((h) => ({ key: VIEWER_AUTHORIZATION_HEADER, value: h.value }));
  // x-amz-* from the viewer must not reach the URL beside ours (a stray x-amz-security-token would break the signature).
  for (const name of Object.keys(headers)) if (name.startsWith('x-amz-') && !name.startsWith('x-amz-cf-')) delete headers[name];
  signed.headers.forEach((value, name) => {
    headers[name] = [{ key: name, value }];
  });
  headers.host = [{ key: 'host', value: host }];
  headers[FUNCTION_ANSWER_HEADER] = [{ key: FUNCTION_ANSWER_HEADER, value: encodeURIComponent(JSON.stringify({ status: answer.status, headers: answer.headers })) }];

  request.origin = {
    custom: {
      domainName: host,
      port: 443,
      protocol: 'https',
      path: '',
      sslProtocols: ['TLSv1.2'],
      readTimeout: Math.min(ORIGIN_READ_TIMEOUT_MAX_SECONDS, Math.max(1, answer.fn.maxDurationSeconds + 1)),
      keepaliveTimeout: 5,
      customHeaders: {},
    },
  };
  request.headers = headers;
  // The path as signed (slashes collapsed as SigV4 does for services other than S3); Lambda encodes it once more, as the signer did.
  request.uri = url.pathname.replace(/\/+/g, '/');
  // The canonical query the signature covers, so Lambda canonicalizes the same string back.
  request.querystring = signer.encodedSearch;
  return request;
}

/** The route's answer for a function, from the request origin-request sent (undefined when not a function's). */
export function functionAnswerOf(request: Pick<CloudFrontRequest, 'headers'>): { status?: number; headers: Record<string, string> } | undefined {
  const value = request.headers[FUNCTION_ANSWER_HEADER]?.[0]?.value;
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(decodeURIComponent(value)) as { status?: number; headers?: Record<string, string> };
    return { ...(typeof parsed.status === 'number' ? { status: parsed.status } : {}), headers: parsed.headers && typeof parsed.headers === 'object' ? parsed.headers : {} };
  } catch {
    return undefined;
  }
}

/**
 * origin-response for a function's answer: the function's own headers stay as they are; route
 * headers fill in what it did not set; an error route's status replaces a 2xx; and the answer is
 * kept at the CDN only when the function says so with `s-maxage` (as on Vercel, where `max-age`
 * alone is for browsers: https://vercel.com/docs/edge-cache). Without it `s-maxage=0` is added,
 * which CloudFront obeys over `max-age` and viewer-response strips again, so browsers see the
 * function's own Cache-Control. Without any Cache-Control, Vercel's default for functions
 * (`public, max-age=0, must-revalidate`) is used.
 */
export function functionResponse(response: CloudFrontResponse, route: { status?: number; headers: Record<string, string> }): CloudFrontResponse {
  const headers: CloudFrontHeaders = { ...response.headers };
  for (const [name, value] of Object.entries(route.headers)) if (!headers[name]) headers[name] = [{ key: name, value }];
  const cacheControl = headers['cache-control']?.map((h) => h.value).join(', ') ?? '';
  const base = cacheControl || 'public, max-age=0, must-revalidate';
  const cdn = /(?:^|,)\s*s-maxage\s*=/i.test(base) ? base : `${base}, s-maxage=0`;
  headers['cache-control'] = [{ key: 'Cache-Control', value: cdn }];
  const status = route.status !== undefined && /^2/.test(response.status) ? String(route.status) : response.status;
  return { ...response, status, statusDescription: status === response.status ? response.statusDescription : '', headers };
}


function text(status: number, body: string): CloudFrontResultResponse {
  return {
    status: String(status),
    headers: { 'content-type': [{ key: 'Content-Type', value: 'text/plain; charset=utf-8' }], 'cache-control': [{ key: 'Cache-Control', value: 'no-store' }] },
    body,
    bodyEncoding: 'text',
  };
}
