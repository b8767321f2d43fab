import { createHash, randomUUID } from 'node:crypto';
import { AwsV4Signer } from 'aws4fetch';
import type { CloudFrontHeaders, CloudFrontRequest, CloudFrontResponse, CloudFrontResultResponse } from 'aws-lambda';
import { functionQuery, functionRequestHeaders } from '../core/functions/function-request.ts';
import type { EdgeAnswer } from './serve.ts';
import { CARRIED_HEADERS, FORWARDED_HEADER, FUNCTION_ANSWER_HEADER, VIEWER_AUTHORIZATION_HEADER } from './function-headers.ts';

export { CARRIED_HEADERS, FORWARDED_HEADER, FUNCTION_ANSWER_HEADER, VIEWER_AUTHORIZATION_HEADER };

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
 *   in {@link VIEWER_AUTHORIZATION_HEADER} (viewer-request copies it there, as CloudFront passes
 *   `Authorization` itself only when the cache policy keys on it), which the launcher layer puts back.
 * - Edge functions may not add `X-Real-IP` or `X-Forwarded-Proto` (disallowed headers,
 *   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html#function-restrictions-disallowed-headers)
 *   and CloudFront appends to `X-Forwarded-For` itself: these travel in {@link FORWARDED_HEADER}
 *   and the launcher layer sets them.
 * - The query is sent in SigV4's canonical form (parameters sorted, RFC 3986 encoded), so the
 *   function sees the same parameters and values, possibly in another order.
 */

/** What the router answered for a function (the contract's `{kind:'function'}` EdgeAnswer). */
export type FunctionAnswer = Extract<EdgeAnswer, { kind: 'function' }>;

const CARRIED = new Set(CARRIED_HEADERS);
/**
 * Headers an origin-request function may not add or change: the disallowed ones and the read-only
 * ones of origin-request events (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html#function-restrictions-read-only-headers).
 * A route transform aimed at one of them is ignored here rather than failing the request (502).
 */
const UNTOUCHABLE = /^(?:connection|expect|keep-alive|proxy-authenticate|proxy-authorization|proxy-connection|trailer|upgrade|x-accel-.*|x-amz-cf-.*|x-amzn-.*|x-cache|x-edge-.*|accept-encoding|content-length|if-modified-since|if-none-match|if-range|if-unmodified-since|transfer-encoding|via|host)$/;
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
 * Points `request` at the function's Function URL and signs it (SigV4, service `lambda`), with the
 * request the local function host would give the function (core/functions/function-request.ts):
 * the route's query merged over the visitor's, `x-matched-path`, the routes' `request.headers`
 * transforms, `x-forwarded-host` = the visitor's host (`x-runway-host`; the Host header is the
 * Function URL's), `x-forwarded-proto: https`, `x-real-ip`/`x-forwarded-for`/`x-vercel-forwarded-for`
 * = `request.clientIp` (the viewer's address: "If the viewer used an HTTP proxy or a load balancer
 * to send the request, the value is the IP address of the proxy or load balancer",
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html#request-event-fields-request),
 * `x-vercel-id` = `<edge region>::<CloudFront request id>`, `x-vercel-deployment-url` = the visitor's host.
 * @param request the origin-request event's request, uri `/d/<deploymentId><path>`
 * @param host the Function URL's host (from the deployment's `functions/<id>.json`)
 * @param now the signing time (tests pass a fixed one)
 * @param requestId the CloudFront request id (`cf.config.requestId`) for `x-vercel-id`
 * @returns the request to send on, or a generated 413 when the body was truncated, or a 502 when
 *   the host is not a Function URL
 */
export async function toFunctionOrigin(
  request: CloudFrontRequest,
  answer: FunctionAnswer,
  host: string,
  credentials: SigningCredentials,
  now: Date = new Date(),
  requestId: string = randomUUID(),
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
  url.search = functionQuery(request.querystring, answer.query);
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

  request.headers = functionHeaders(request, answer, requestId);
  signed.headers.forEach((value, name) => {
    request.headers[name] = [{ key: name, value }];
  });
  request.headers.host = [{ key: 'host', value: host }];
  request.headers[FUNCTION_ANSWER_HEADER] = [{ key: FUNCTION_ANSWER_HEADER, value: encodeURIComponent(JSON.stringify({ status: answer.status, headers: answer.headers })) }];

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
  // The path as signed (slashes collapsed as SigV4 does for services other than S3); Lambda encodes it once more, as the signer did.
  request.uri = url.pathname.replace(/\/+/g, '/');
  // The canonical query the signature covers, so Lambda canonicalizes the same string back.
  request.querystring = signer.encodedSearch;
  return request;
}

/**
 * The request's headers as the function gets them (before signing), in Lambda@Edge's shape: only
 * headers the shared code changed are rewritten, so repeated fields and read-only headers stay as
 * CloudFront sent them. The viewer's Authorization (viewer-request's copy, else the header itself
 * when a cache policy passed it) goes in {@link VIEWER_AUTHORIZATION_HEADER}; headers edge
 * functions cannot add go in {@link FORWARDED_HEADER}; any `x-amz-*` a viewer sent is dropped (a
 * stray x-amz-security-token would break the signature).
 */
function functionHeaders(request: CloudFrontRequest, answer: FunctionAnswer, requestId: string): CloudFrontHeaders {
  const original = request.headers;
  const flat: Record<string, string> = {};
  for (const [name, values] of Object.entries(original)) flat[name] = values.map((v) => v.value).join(name === 'cookie' ? '; ' : ', ');
  const visitorHost = flat['x-runway-host'] ?? '';
  const viewerAuthorization = flat[VIEWER_AUTHORIZATION_HEADER] ?? flat.authorization;
  if (viewerAuthorization === undefined) delete flat.authorization;
  else flat.authorization = viewerAuthorization;
  const wanted = functionRequestHeaders(flat, answer, {
    host: visitorHost,
    proto: 'https',
    clientIp: request.clientIp,
    vercelId: `${process.env.AWS_REGION ?? 'aws'}::${requestId}`,
  });
  const headers: CloudFrontHeaders = {};
  const carried: Record<string, string> = {};
  for (const [name, values] of Object.entries(original)) {
    if (UNTOUCHABLE.test(name)) headers[name] = values;
    else if (!CARRIED.has(name) && !name.startsWith('x-amz-') && Object.hasOwn(wanted, name) && wanted[name] === flat[name]) headers[name] = values;
  }
  for (const [name, value] of Object.entries(wanted)) {
    if (CARRIED.has(name)) carried[name] = value;
    else if (name !== 'authorization' && !name.startsWith('x-amz-') && !UNTOUCHABLE.test(name) && !headers[name]) headers[name] = [{ key: name, value }];
  }
  delete headers.authorization;
  if (wanted.authorization !== undefined) headers[VIEWER_AUTHORIZATION_HEADER] = [{ key: VIEWER_AUTHORIZATION_HEADER, value: wanted.authorization }];
  headers[FORWARDED_HEADER] = [{ key: FORWARDED_HEADER, value: encodeURIComponent(JSON.stringify(carried)) }];
  return headers;
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
export function functionResponse(
  response: CloudFrontResponse,
  route: { status?: number; headers: Record<string, string> },
  request?: Pick<CloudFrontRequest, 'headers'>,
): CloudFrontResponse {
  const headers: CloudFrontHeaders = { ...response.headers };
  for (const [name, value] of Object.entries(route.headers)) if (!headers[name]) headers[name] = [{ key: name, value }];
  const cacheControl = headers['cache-control']?.map((h) => h.value).join(', ') ?? '';
  const base = cacheControl || 'public, max-age=0, must-revalidate';
  // Never shared, whatever s-maxage says: an answer that sets a cookie (it would hand one visitor's
  // session to the next) or one to a request that carried credentials (the cache key leaves them out).
  const personal = headers['set-cookie'] !== undefined || (request !== undefined && request.headers[VIEWER_AUTHORIZATION_HEADER] !== undefined);
  const cdn = personal
    ? `${base.replace(/(?:^|,)\s*s-maxage\s*=\s*\d+\s*/gi, '').replace(/^\s*,\s*/, '')}, s-maxage=0`.replace(/^, /, '')
    : /(?:^|,)\s*s-maxage\s*=/i.test(base)
      ? base
      : `${base}, s-maxage=0`;
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
