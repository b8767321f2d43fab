import type { CloudFrontHeaders, CloudFrontRequest, CloudFrontResultResponse } from 'aws-lambda';
import type { RouteOptions } from '../core/routing/router.ts';
import type { FunctionAnswer } from './function-origin.ts';
import { answer, PLATFORM_NOT_FOUND_HTML, type IndexCache } from './serve.ts';

/**
 * Lambda@Edge origin-request: the router, on cache misses only. viewer-request (a CloudFront
 * Function) has turned the request into `/d/<deploymentId><path>` and set `x-runway-host`; this
 * reads the deployment's index (kept in memory), runs the router and either
 * - generates the response itself (redirects, the platform 404, errors), or
 * - sends the request on to S3 for the file's content-addressed blob (`/blobs/<teamId>/<sha>`),
 *   with the answer's status and headers in the `x-runway-answer` request header, which
 *   origin-response applies to what S3 returns (origin-request cannot set response headers of an
 *   origin's response).
 * The local edge runs this same handler.
 */

/** Request header carrying the router's status and headers from origin-request to origin-response. */
export const ANSWER_HEADER = 'x-runway-answer';
/**
 * `Retry-After` (seconds) of the 503 for a deployment without an index yet: the backfill runs
 * with the stuck-deployment sweep, every 5 minutes in AWS (STUCK_SWEEP_RATE) and every minute
 * under `npm start`.
 */
export const NO_INDEX_RETRY_AFTER_SECONDS = 300;
const DEPLOYMENT_URI = /^\/d\/([\w-]{1,64})(\/.*)?$/;

export interface StashedAnswer {
  status: number;
  headers: Record<string, string>;
}

export interface OriginRequestOptions {
  /** Passed to the router with every request (its per-request step budget). */
  routeOptions?: RouteOptions;
  /**
   * Sends a request the router gave to a function to where functions run (AWS: the function's
   * Function URL, `origin-request-aws.ts`). Without it a function answer is a 502.
   */
  onFunction?: (request: CloudFrontRequest, answer: FunctionAnswer, deploymentId: string) => Promise<CloudFrontRequest | CloudFrontResultResponse>;
}

/** Create the handler around an index cache (which reads `routes/<id>.json` from the artifact bucket). */
export function createOriginRequestHandler(indexes: IndexCache, options: OriginRequestOptions = {}) {
  return async (request: CloudFrontRequest): Promise<CloudFrontRequest | CloudFrontResultResponse> => {
    const m = DEPLOYMENT_URI.exec(request.uri);
    if (!m) return generated(404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, PLATFORM_NOT_FOUND_HTML);
    const deployment = await indexes.get(m[1]!);
    // A host points here (viewer-request found it) but there is no index: a deployment finalized
    // before the edge routed by indexes, until the backfill (core/build/backfill.ts, on the
    // stuck-deployment sweep's schedule) writes it. Today's finalize writes the index before any
    // host, so this is temporary: a 503 (CloudFront keeps it for its error caching minimum TTL, 10 s by
    // default, whatever `no-store` says: custom-error-pages-expiration.html), never a 404 for a live site.
    if (!deployment) {
      return generated(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'retry-after': String(NO_INDEX_RETRY_AFTER_SECONDS) }, 'Service Unavailable: this deployment is being upgraded; retry shortly.\n');
    }
    const headers = flatHeaders(request.headers);
    const result = answer(
      deployment,
      { method: request.method, path: m[2] ?? '/', query: request.querystring, host: headers['x-runway-host'] ?? '', headers },
      options.routeOptions,
    );
    if (result.kind === 'generated') return generated(result.status, result.headers, result.body);
    if (result.kind === 'function') {
      if (options.onFunction) return options.onFunction(request, result, m[1]!);
      return generated(502, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, `This deployment routes here to the function ${result.name}, which this edge does not run yet.\n`);
    }
    const stash: StashedAnswer = { status: result.status, headers: result.headers };
    request.uri = `/${result.key}`;
    request.querystring = '';
    request.headers[ANSWER_HEADER] = [{ key: ANSWER_HEADER, value: encodeURIComponent(JSON.stringify(stash)) }];
    return request;
  };
}

/** Lambda@Edge header lists → lower-case name → value (repeats joined as HTTP allows; cookies with "; "). */
export function flatHeaders(headers: CloudFrontHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(headers)) {
    out[name.toLowerCase()] = values.map((v) => v.value).join(name.toLowerCase() === 'cookie' ? '; ' : ', ');
  }
  return out;
}

/** The answer origin-request stashed in the request, or undefined when there is none (or it is not ours). */
export function stashedAnswer(request: Pick<CloudFrontRequest, 'headers'>): StashedAnswer | undefined {
  const value = request.headers[ANSWER_HEADER]?.[0]?.value;
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(decodeURIComponent(value)) as StashedAnswer;
    return typeof parsed.status === 'number' && typeof parsed.headers === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** A generated Lambda@Edge response (its body must stay under 1 MB: ours are a few hundred bytes). */
export function generated(status: number, headers: Record<string, string>, body: string): CloudFrontResultResponse {
  const out: CloudFrontHeaders = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = [{ key: name, value }];
  return { status: String(status), headers: out, body, bodyEncoding: 'text' };
}
