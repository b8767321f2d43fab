import type { CloudFrontHeaders, CloudFrontResponseEvent, CloudFrontResponseResult } from 'aws-lambda';

/**
 * Lambda@Edge origin-response handler: a CloudFront Function cannot see whether a file exists, so
 * when S3 answers 403/404 for `/d/<deploymentId>/...` this serves the deployment's own `404.html`
 * (status 404), or the platform 404 page when it has none.
 */

/** Reads one object of the artifact bucket; `null` when it does not exist. */
export type ReadObject = (key: string) => Promise<{ body: Buffer; contentType?: string } | null>;

export type OriginResponseHandler = (event: CloudFrontResponseEvent) => Promise<CloudFrontResponseResult>;

export const PLATFORM_NOT_FOUND_HTML =
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>404: Not found</title>' +
  '<body style="font:16px system-ui;text-align:center;padding:4em"><h1>404</h1>' +
  '<p>This page could not be found.</p></body></html>';

/** Lambda@Edge rejects generated origin responses over 1 MB; base64 grows the body by a third. */
const MAX_BODY_BYTES = 700_000;

// S3 answers 403 for a missing key when the reader may not list the bucket (the OAC case).
const MISSING = new Set(['403', '404']);
const DEPLOYMENT_KEY = /^\/d\/([\w-]{1,64})\//;

function header(key: string, value: string): CloudFrontHeaders[string] {
  return [{ key, value }];
}

function notFound(body: Buffer, contentType: string, cacheControl: string): CloudFrontResponseResult {
  return {
    status: '404',
    statusDescription: 'Not Found',
    headers: {
      'content-type': header('Content-Type', contentType),
      'cache-control': header('Cache-Control', cacheControl),
      'x-content-type-options': header('X-Content-Type-Options', 'nosniff'),
    },
    bodyEncoding: 'base64',
    body: body.toString('base64'),
  };
}

/**
 * Create the origin-response handler around a port that reads the artifact bucket.
 * Responses other than 403/404 for a deployment key pass through unchanged.
 */
export function createOriginResponseHandler(readObject: ReadObject): OriginResponseHandler {
  return async (event) => {
    const { request, response } = event.Records[0]!.cf;
    const deployment = DEPLOYMENT_KEY.exec(request.uri)?.[1];
    if (!MISSING.has(response.status) || deployment === undefined) return response;

    const platform = (cacheControl: string) =>
      notFound(Buffer.from(PLATFORM_NOT_FOUND_HTML, 'utf8'), 'text/html; charset=utf-8', cacheControl);
    let page: Awaited<ReturnType<ReadObject>>;
    try {
      page = await readObject(`d/${deployment}/404.html`);
    } catch (error) {
      // Answer the visitor anyway, but do not let CloudFront keep this answer: the next try may work.
      console.error('origin-response: reading 404.html failed', { deployment, error });
      return platform('no-store');
    }
    if (page === null || page.body.length > MAX_BODY_BYTES) return platform('public, max-age=0, must-revalidate');
    return notFound(page.body, 'text/html; charset=utf-8', 'public, max-age=0, must-revalidate');
  };
}
