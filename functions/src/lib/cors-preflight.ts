/**
 * Whether a request is a CORS preflight: an `OPTIONS` request carrying `Origin` and
 * `Access-Control-Request-Method` (https://fetch.spec.whatwg.org/#cors-preflight-request; API
 * Gateway tells them apart the same way: "For the OPTIONS method, your request must include the
 * origin header and the Access-Control-Request-Method header",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html).
 *
 * @param method the request method, any case
 * @param headers request headers by lower-case name (API Gateway's payload 2.0 and Node's
 *   `IncomingMessage.headers` both lower-case them)
 */
export function isCorsPreflight(method: string, headers: Readonly<Record<string, string | string[] | undefined>> | undefined): boolean {
  return method.toUpperCase() === 'OPTIONS' && Boolean(headers?.origin) && Boolean(headers?.['access-control-request-method']);
}
