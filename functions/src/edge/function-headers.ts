/**
 * Request headers the AWS edge (edge/function-origin.ts) uses to talk to the launcher layer
 * (launcher/layer.ts) and origin-response. A module of constants only, so the layer's bundle does
 * not pull in the router.
 */

/** Request header carrying the route's status and headers for a function answer to origin-response. */
export const FUNCTION_ANSWER_HEADER = 'x-runway-function-answer';
/**
 * Request header carrying the viewer's own `Authorization` to the function (the signature takes its
 * place). viewer-request (a CloudFront Function) copies the viewer's Authorization into it, since
 * CloudFront passes `Authorization` itself to origin-request only when the cache policy keys on it.
 */
export const VIEWER_AUTHORIZATION_HEADER = 'x-runway-viewer-authorization';
/**
 * Request header carrying, as URI-encoded JSON `{name: value}`, the headers a function receives that
 * an edge function cannot set itself (`x-real-ip`, `x-forwarded-proto` are disallowed headers:
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html#function-restrictions-disallowed-headers;
 * CloudFront appends to `x-forwarded-for` itself). The launcher layer sets them; it trusts them
 * because only the edge's role can call a Function URL (AWS_IAM).
 */
export const FORWARDED_HEADER = 'x-runway-forwarded';
/** The headers carried in {@link FORWARDED_HEADER}. */
export const CARRIED_HEADERS: readonly string[] = ['x-real-ip', 'x-forwarded-proto', 'x-forwarded-for'];
