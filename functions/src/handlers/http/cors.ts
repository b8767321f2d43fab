import { HTTP_ROUTES } from './routes.ts';

/**
 * The API's one CORS definition. The HTTP API's `corsPreflight` (infra/lib/stacks/api-stack.ts)
 * and the local gateway (local/gateway.ts) both read it, so a header the console sends that is
 * missing here fails locally exactly as it would behind API Gateway.
 *
 * With CORS configured, API Gateway answers preflight `OPTIONS` requests itself, adds these
 * headers to integration responses, and ignores CORS headers returned by the Lambda
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html), so the
 * handlers set none.
 *
 * **Preflights and the `$default` route.** The same AWS page says, in its own words: "If you
 * configure CORS for an API, API Gateway automatically sends a response to preflight OPTIONS
 * requests, even if there isn't an OPTIONS route configured for your API", and, under
 * "Configuring CORS for an HTTP API with a `$default` route and an authorizer": "The `$default`
 * route catches requests for all methods and routes that you haven't explicitly defined,
 * including `OPTIONS` requests. To support unauthorized `OPTIONS` requests, add an
 * `OPTIONS /{proxy+}` route to your API that doesn't require authorization and attach an
 * integration to the route. The `OPTIONS /{proxy+}` route has higher priority than the
 * `$default` route." So configuring CORS does not keep preflights away from `$default`: no route
 * of the route table is an OPTIONS route, so every preflight (`OPTIONS` + `Origin` +
 * `Access-Control-Request-Method`, on any path) is routed to the `$default` integration
 * (DEFAULT_ROUTE, the not-found handler) instead of being answered by API Gateway. API Gateway
 * still puts the configured `Access-Control-*` headers on that integration's response (and drops
 * any the Lambda sets), but the status is the integration's: a 404 is not an "ok status", so the
 * browser would fail the preflight (https://fetch.spec.whatwg.org/#cors-preflight-fetch) and
 * with it every console request that sends `Authorization`. The not-found handler therefore
 * answers a preflight with 204, no body and no CORS headers of its own (its docstring says why
 * that and not an `OPTIONS /{proxy+}` route), and local/gateway.ts routes preflights to it as
 * API Gateway does instead of answering them itself. (Read from AWS's documentation, not tried
 * against a live API: there is no AWS account here.)
 */
export const API_CORS = {
  /** Every method of the route table (the console uses GET, POST, PATCH and DELETE). */
  allowMethods: [...new Set(HTTP_ROUTES.map((r) => r.method))],
  /**
   * What the console (site/src/lib/api.ts) and CLIs send: the bearer token, JSON bodies, the
   * optimistic-concurrency guard (`If-Match`) and the digest of a small-file upload.
   */
  allowHeaders: ['authorization', 'content-type', 'if-match', 'x-runway-digest'],
  /** Response headers the console may read: versions, the request id, rate-limit back-off. */
  exposeHeaders: ['etag', 'retry-after', 'x-correlation-id'],
  /** How long a browser may reuse a preflight answer, in seconds. */
  maxAgeSeconds: 600,
} as const;

/**
 * The origins allowed to call the API from a browser: the console's own origin (kept as given,
 * so it may be a deploy-time value such as the console distribution's domain) and, when set, the
 * URLs the operator serves the console at (`RUNWAY_CONSOLE_URL` locally, the `runway:consoleUrl`
 * context in AWS), each reduced to its origin (`scheme://host[:port]`). Duplicates are dropped.
 * @throws TypeError when one of `urls` is not an absolute URL
 */
export function corsAllowOrigins(consoleOrigin: string, ...urls: ReadonlyArray<string | undefined>): string[] {
  const origins = urls.filter((url): url is string => Boolean(url)).map((url) => new URL(url).origin);
  return [...new Set([consoleOrigin, ...origins])];
}

/**
 * CORS of the artifact bucket, for browsers that PUT files straight to their presigned upload
 * URLs (`POST /v1/files/uploads`). Any origin: the presigned signature is what authorizes the
 * PUT, and anyone holding the URL can already send it without a browser; CORS only lets a page
 * see the (empty) answer. The headers are exactly those `DirectUpload.headers` carries.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
 */
export const UPLOAD_CORS = {
  allowedOrigins: ['*'],
  allowedMethods: ['PUT'],
  allowedHeaders: ['content-type', 'x-amz-checksum-sha256'],
  maxAgeSeconds: 3600,
} as const;
