import type { CloudFrontHeaders, CloudFrontResponseEvent, CloudFrontResultResponse } from 'aws-lambda';
import { functionAnswerOf, functionResponse } from './function-origin.ts';
import { generated, stashedAnswer } from './origin-request.ts';

/**
 * Lambda@Edge origin-response: gives the file S3 returned the status and headers the router chose
 * at origin-request (`x-runway-answer`): its Content-Type (blobs are stored as bytes), Cache-Control,
 * the deployment's header rules, and status 404 for the deployment's `404.html`. S3's own
 * `x-amz-*` headers are dropped. A blob S3 cannot find (a deployment is READY only when every blob
 * it names is stored, so this is a fault, not a 404) is a 502 the CDN does not keep.
 * Responses without a stashed answer pass through unchanged.
 */
export type OriginResponseHandler = (event: CloudFrontResponseEvent) => Promise<CloudFrontResultResponse>;

// S3 answers 403 for a missing key when the reader may not list the bucket (the OAC case).
const MISSING = new Set(['403', '404']);

export function createOriginResponseHandler(): OriginResponseHandler {
  return async (event) => {
    const { request, response } = event.Records[0]!.cf;
    // A function's answer keeps its own headers (function-origin.ts).
    const route = functionAnswerOf(request);
    if (route) return functionResponse(response, route, request);
    const stash = stashedAnswer(request);
    if (!stash) return response;
    if (MISSING.has(response.status)) {
      console.error('origin-response: a blob of a READY deployment is missing', { uri: request.uri });
      return generated(502, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, 'Bad Gateway: this file is missing from storage.');
    }
    const headers: CloudFrontHeaders = {};
    for (const [name, values] of Object.entries(response.headers)) if (!name.startsWith('x-amz-')) headers[name] = values;
    for (const [name, value] of Object.entries(stash.headers)) headers[name] = [{ key: name, value }];
    // 206 and 304 stay what they are; a 200 takes the router's status (404 for 404.html).
    const status = response.status === '200' ? String(stash.status) : response.status;
    return { ...response, status, statusDescription: '', headers };
  };
}
